import { diff, type DiffResult } from "../commands/diff.js";
import { onInterrupt } from "./interrupt.js";
import { colors, liveProgress, useColor } from "./output.js";
import { BuildProgress } from "./progress.js";

export interface DiffFlags {
  seed?: number;
  temperature?: number;
  model?: string;
  cached?: boolean;
  against?: string;
  baseUrl?: string;
  timeout?: number;
  retries?: number;
  threads?: number;
}

/** Exit codes like diff(1): 0 identical, 1 different; trouble (2) is set by the caller. */
export async function diffCommand(prompt: string, flags: DiffFlags): Promise<number> {
  const live = liveProgress();
  const progress = new BuildProgress(process.stderr, live, useColor(process.stderr));
  const interrupt = onInterrupt((message) => progress.notice(message));
  let result: DiffResult;
  try {
    const regenerates = !flags.cached && !flags.against;
    let started = false;
    result = await diff({
      prompt,
      ...flags,
      signal: interrupt.signal,
      onProgress: (p) => {
        if (!started) progress.onEvent({ type: "start", prompt: p.prompt, model: flags.model ?? "model" });
        started = true;
        progress.onEvent({ type: "progress", ...p });
      },
    });
    if (regenerates && result.restored)
      process.stderr.write(
        `compared with the cached ${result.new.label} of ${result.prompt}: no model call; nothing written\n`,
      );
    else if (regenerates && !live)
      process.stderr.write(
        `regenerated ${result.prompt} (${result.new.label.replace(/^regenerated \(|\)$/g, "")}); nothing written\n`,
      );
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  if (interrupt.interrupted()) return 130;
  process.stdout.write(paint(result.files.map((f) => f.patch).join(""), useColor()));
  if (result.identical) process.stderr.write(`identical: ${result.old.label} and ${result.new.label}\n`);
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
