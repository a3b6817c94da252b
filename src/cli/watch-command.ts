import type { PromptStatus } from "../plan/states.js";
import { watch, type WatchEvent, type WatchOptions } from "../commands/watch.js";
import { promptJson } from "./build-command.js";
import { onInterrupt } from "./interrupt.js";
import type { CliIo } from "./io.js";
import { colors, liveProgress, statusTable, summarizeStates, useColor } from "./output.js";
import { BuildProgress } from "./progress.js";
import { count } from "../util/plural.js";

/** `pc watch`'s options: the library's, plus what only the terminal has. */
export interface WatchCommandOptions extends Pick<
  WatchOptions,
  "cwd" | "paths" | "jobs" | "baseUrl" | "timeout" | "retries" | "threads" | "cache" | "offline" | "keepFailed"
> {
  /** NDJSON events on stdout. */
  json?: boolean;
}

/** `pc watch`: runs until Ctrl-C (exit 130), then finishes in-flight bookkeeping and stops. */
export async function watchCommand(io: CliIo, options: WatchCommandOptions): Promise<number> {
  const { json = false, ...watchOptions } = options;
  const live = liveProgress(io, json);
  const color = !json && useColor(io, io.stderr);
  const progress = new BuildProgress(io.stderr, live, color);
  const interrupt = onInterrupt(io, (message) =>
    json
      ? undefined
      : progress.notice(message.replace("finished prompts are kept", "finished prompts are kept; watching stops")),
  );
  const onEvent = json ? ndjson(io) : human(progress, color);
  try {
    const watcher = await watch({
      ...watchOptions,
      signal: interrupt.signal,
      commits: interrupt.commits,
      onEvent,
    });
    await watcher.closed;
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  if (!json) io.stderr.write("stopped watching\n");
  return 130;
}

/** NDJSON on stdout: one event per line, nothing else. */
function ndjson(io: CliIo): (event: WatchEvent) => void {
  const line = (value: Record<string, unknown>) => void io.stdout.write(`${JSON.stringify(value)}\n`);
  return (event) => ndjsonEvent(line, event);
}

function ndjsonEvent(line: (value: Record<string, unknown>) => void, event: WatchEvent): void {
  switch (event.type) {
    case "ready":
      return line({
        event: "ready",
        prompts: event.prompts,
        files: event.files,
        dirs: event.dirs,
        states: states(event.statuses),
      });
    case "change":
      return line({ event: "change", paths: event.paths });
    case "start":
      return line({ event: "start", prompt: event.prompt, model: event.model });
    case "progress":
      return line({
        event: "progress",
        prompt: event.prompt,
        tokens: event.tokens,
        elapsedMs: Math.round(event.elapsedMs),
      });
    case "retry":
      return line({
        event: "retry",
        prompt: event.prompt,
        message: event.message,
        delayMs: event.delayMs,
        attempt: event.attempt,
      });
    case "done":
      return line({ event: event.result.outcome === "failed" ? "failed" : "done", ...promptJson(event.result) });
    case "cancelled":
      return line({ event: "cancelled", prompt: event.prompt, reason: event.reason });
    case "check":
      return line({
        event: "check",
        prompt: event.prompt,
        passed: event.passed,
        durationMs: event.durationMs,
        failure: event.failure ?? null,
      });
    case "error":
      return line({ event: "failed", prompt: null, error: event.error.toJSON() });
    case "idle":
      return line({
        event: "idle",
        ok: event.report?.ok ?? false,
        totals: event.report?.totals ?? null,
        states: states(event.statuses),
      });
    case "plan":
      return;
  }
}

function states(statuses: PromptStatus[] | undefined): Record<string, string> | null {
  return statuses ? Object.fromEntries(statuses.map((s) => [s.prompt, s.state])) : null;
}

/** For people, on stderr: what changed, live progress, results, then each prompt that is not fresh. */
function human(progress: BuildProgress, color: boolean): (event: WatchEvent) => void {
  const c = colors(color);
  const out = (text: string) => progress.line(text);
  const showStates = (statuses: PromptStatus[] | undefined) => {
    if (!statuses) return out(c.dim("waiting for changes (Ctrl-C to stop)"));
    const notFresh = statuses.filter((s) => s.state !== "fresh");
    if (notFresh.length) out(statusTable(notFresh, color));
    out(c.dim(`${summarizeStates(statuses)} · waiting for changes (Ctrl-C to stop)`));
  };
  return (event) => {
    switch (event.type) {
      case "ready":
        out(
          `watching ${event.prompts} prompt${event.prompts === 1 ? "" : "s"} (${count(event.files, "file")}, folders ${event.dirs.join(", ") || "none"})`,
        );
        if (event.statuses?.length) out(statusTable(event.statuses, color));
        return;
      case "change":
        return out(c.cyan(`↻ changed: ${event.paths.join(", ")}`));
      case "cancelled":
        return out(c.yellow(`↺ cancelled ${event.prompt}: ${event.reason}`));
      case "error":
        return out(c.red(`✗ ${event.error.format()}`));
      case "idle":
        if (event.report) {
          const summary = progress.summary(event.report);
          if (summary) out(summary);
        }
        return showStates(event.statuses);
      default:
        return progress.onEvent(event);
    }
  };
}
