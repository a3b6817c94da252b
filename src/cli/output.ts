import type { PromptState, PromptStatus } from "../plan/states.js";
import { requireCjs } from "../util/require-cjs.js";
import type { CliIo, OutputStream } from "./io.js";

const pc = requireCjs("picocolors") as typeof import("picocolors"); // see requireCjs: every command loads it

/** Colour only on a TTY, never with NO_COLOR or --json. */
export function useColor(io: CliIo, stream: OutputStream = io.stdout): boolean {
  return Boolean(stream.isTTY) && !io.env.NO_COLOR && io.env.TERM !== "dumb";
}

/** Live progress lines (redrawn in place) only on a real terminal, and never with --json. */
export function liveProgress(io: CliIo, json = false): boolean {
  return !json && Boolean(io.stderr.isTTY) && io.env.TERM !== "dumb";
}

export const colors = (enabled: boolean) => pc.createColors(enabled);

const STATE_COLOR: Record<PromptState, keyof ReturnType<typeof pc.createColors>> = {
  fresh: "green",
  stale: "yellow",
  new: "cyan",
  missing: "yellow",
  drifted: "magenta",
  orphaned: "gray",
  failed: "red",
  invalid: "red",
};

export function paintState(state: PromptState, color: boolean): string {
  const c = colors(color);
  return (c[STATE_COLOR[state]] as (s: string) => string)(state);
}

/** A plain text table: columns padded to their widest cell (ANSI codes not counted). */
export function table(rows: string[][], header?: string[]): string {
  const all = header ? [header, ...rows] : rows;
  const width = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;
  const widths = all[0]?.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? "")))) ?? [];
  return all
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + " ".repeat(widths[i] - width(cell))))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function statusTable(statuses: PromptStatus[], color: boolean): string {
  const c = colors(color);
  const rows = statuses.map((s) => [
    s.prompt,
    paintState(s.state, color),
    s.outputs.join(", "),
    sourceLabel(s),
    s.reasons[0]
      ? s.reasons[0].split("\n")[0] + (s.reasons.length > 1 ? c.dim(` (+${s.reasons.length - 1} more)`) : "")
      : "",
  ]);
  return table(rows, [c.bold("prompt"), c.bold("state"), c.bold("outputs"), c.bold("source"), c.bold("reason")]);
}

/**
 * Where the recorded outputs came from, so model-built, chat-built and hand-kept code can be told
 * apart: llm, cache (an earlier model answer restored), chat (with its label), hand; "-" before a build.
 */
export function sourceLabel(s: Pick<PromptStatus, "source" | "label" | "checks">): string {
  if (!s.source) return "-";
  const checks = s.checks ? `, checks ${s.checks.passed ? "passed" : "failed"}` : "";
  return `${s.label ? `${s.source} (${s.label})` : s.source}${checks}`;
}

export function summarizeStates(statuses: PromptStatus[]): string {
  const counts = new Map<PromptState, number>();
  for (const s of statuses) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  return [...counts.entries()].map(([state, n]) => `${n} ${state}`).join(", ") || "no prompts";
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
