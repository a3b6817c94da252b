/**
 * A small benchmark harness (hyperfine is not installed, and CI must not depend on it): runs
 * commands as child processes with warm-up runs, interleaves the cases round by round so a busy
 * machine slows every case alike, and reports medians and ratios to `node -e 0` measured in the
 * same run.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("..", import.meta.url));
export const WORK = path.join(REPO, "bench", ".work");
export const CLI = path.join(REPO, "dist", "cli.js");

export interface Case {
  name: string;
  /** Arguments after `node` (the baseline is `["-e", "0"]`). */
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Runs before every timed run of this case (not timed), e.g. to restore a file. */
  before?: () => void | Promise<void>;
  /** Exit codes accepted as success (default [0]). */
  okCodes?: number[];
}

export interface Timing {
  name: string;
  runs: number[];
  median: number;
}

/** The floor every target is a ratio to: starting node and doing nothing. */
export const NODE_FLOOR: Case = { name: "node -e 0", args: ["-e", "0"] };

/** `pc <args>` run by node from the built dist/. */
export function pc(name: string, args: string[], cwd?: string, extra: Partial<Case> = {}): Case {
  return { name, args: [CLI, ...args], cwd, ...extra };
}

/** Milliseconds from spawn to exit of one run; throws when the exit code is not accepted. */
export function timeOnce(c: Case): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, c.args, {
      cwd: c.cwd ?? REPO,
      env: { ...process.env, NO_COLOR: "1", ...c.env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const ms = performance.now() - started;
      if ((c.okCodes ?? [0]).includes(code ?? -1)) resolve(ms);
      else reject(new Error(`${c.name} exited with ${code}\n${stderr.slice(-2000)}`));
    });
  });
}

/**
 * Times every case `runs` times after `warmup` untimed rounds. Rounds are interleaved (case A, B,
 * C, then A, B, C again) so that load from other processes on a shared machine is spread evenly.
 */
export async function compare(cases: Case[], options: { runs: number; warmup: number }): Promise<Map<string, Timing>> {
  const runs = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < options.warmup + options.runs; round++) {
    for (const c of cases) {
      await c.before?.();
      const ms = await timeOnce(c);
      if (round >= options.warmup) runs.get(c.name)!.push(ms);
    }
  }
  return new Map(
    cases.map((c) => [c.name, { name: c.name, runs: runs.get(c.name)!, median: median(runs.get(c.name)!) }]),
  );
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export const ms = (value: number) => `${Math.round(value)} ms`;
export const ratio = (value: number) => `${value.toFixed(2)}x`;
export const verdict = (ok: boolean) => (ok ? "ok" : "MISSED");

/** A markdown table; the first row is the header. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Builds dist/ (as `npm run build`) when it is missing or older than a source or schema file. */
export function ensureDist(): void {
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).mtimeMs,
      ),
    );
  const validators = path.join(REPO, "dist", "util", "schema-validators.cjs");
  const sources = Math.max(newest(path.join(REPO, "src")), newest(path.join(REPO, "schemas")));
  if (
    existsSync(CLI) &&
    existsSync(validators) &&
    Math.min(statSync(CLI).mtimeMs, statSync(validators).mtimeMs) >= sources
  )
    return;
  process.stderr.write("bench: building dist/ ...\n");
  const run = (...args: string[]) => execFileSync(process.execPath, args, { cwd: REPO, stdio: "inherit" });
  run(path.join(REPO, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json");
  run(path.join(REPO, "scripts", "compile-schemas.mjs"));
}

/** Repetitions from the environment, so a quick local look can use fewer (PC_BENCH_RUNS=3). */
export function runsFromEnv(fallback: number): number {
  const n = Number(process.env.PC_BENCH_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
