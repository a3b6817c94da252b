import { diff, type DiffOptions, type DiffResult } from "../commands/diff.js";
import { onInterrupt } from "./interrupt.js";
import type { CliIo } from "./io.js";
import { colors, liveProgress, useColor } from "./output.js";
import { BuildProgress } from "./progress.js";

/** `pc diff`'s options: the library's own. */
export type DiffCommandOptions = Pick<
  DiffOptions,
  | "cwd"
  | "prompt"
  | "seed"
  | "temperature"
  | "model"
  | "cached"
  | "against"
  | "baseUrl"
  | "timeout"
  | "retries"
  | "threads"
>;

/** Exit codes like diff(1): 0 identical, 1 different; trouble (2) is set by the caller. */
export async function diffCommand(io: CliIo, options: DiffCommandOptions): Promise<number> {
  const live = liveProgress(io);
  const progress = new BuildProgress(io.stderr, live, useColor(io, io.stderr));
  const interrupt = onInterrupt(io, (message) => progress.notice(message));
  let result: DiffResult;
  try {
    const regenerates = !options.cached && !options.against;
    let started = false;
    result = await diff({
      ...options,
      signal: interrupt.signal,
      onProgress: (p) => {
        if (!started) progress.onEvent({ type: "start", prompt: p.prompt, model: options.model ?? "model" });
        started = true;
        progress.onEvent({ type: "progress", ...p });
      },
    });
    if (regenerates && result.restored)
      io.stderr.write(
        `compared with the cached ${result.new.label} of ${result.prompt}: no model call; nothing written\n`,
      );
    else if (regenerates && !live)
      io.stderr.write(
        `regenerated ${result.prompt} (${result.new.label.replace(/^regenerated \(|\)$/g, "")}); nothing written\n`,
      );
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  if (interrupt.interrupted()) return 130;
  io.stdout.write(paint(result.files.map((f) => f.patch).join(""), useColor(io)));
  if (result.identical) io.stderr.write(`identical: ${result.old.label} and ${result.new.label}\n`);
  return result.identical ? 0 : 1;
}

/** Colours a unified diff the way git does: headers bold, hunks cyan, removals red, additions green. */
export function paint(patch: string, color: boolean): string {
  if (!color) return patch;
  const c = colors(true);
  return patch
    .split("\n")
    .map((line) => {
      if (line.startsWith("+++ ") || line.startsWith("--- ")) return c.bold(line);
      if (line.startsWith("@@")) return c.cyan(line);
      if (line.startsWith("+")) return c.green(line);
      if (line.startsWith("-")) return c.red(line);
      return line;
    })
    .join("\n");
}
