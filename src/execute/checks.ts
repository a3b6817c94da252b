import { spawn } from "node:child_process";
import path from "node:path";
import type { CheckVerdict, Generation } from "../cache/store.js";
import { DEFAULT_CHECK_TIMEOUT, canonicalJson, checkCommands } from "../plan/hash.js";
import type { PromptHashes } from "../plan/hash.js";
import type { ParsedPrompt } from "../prompt/frontmatter.js";
import { sha256, writeFileAtomic } from "../util/fs.js";

/** What a prompt's checks are run with. */
export interface CheckRun {
  /** Shell commands from the prompt's `check` key, run one after the other from the project root. */
  commands: string[];
  root: string;
  /** The prompt's path (PC_PROMPT). */
  prompt: string;
  /** The prompt's outputs, relative to the root (PC_OUTPUTS, newline-separated). */
  outputs: string[];
  /** Per command; the command's whole process group is killed when it runs out. */
  timeoutMs: number;
  /** Kills the running command's process group (Ctrl-C). */
  signal?: AbortSignal;
}

export interface CommandResult {
  command: string;
  /** The exit code, or undefined when the command was killed. */
  exitCode?: number;
  /** Why the command did not pass: its exit code, a timeout, a signal. Undefined when it passed. */
  failure?: string;
  /** It ran out of time: on a busy machine another run may pass, so the verdict is not kept. */
  timedOut: boolean;
  /** The last lines of its stdout and stderr, interleaved as they came. */
  tail: string[];
  durationMs: number;
}

export interface ChecksResult {
  passed: boolean;
  durationMs: number;
  /** The commands run, in order; the first failing one is the last. */
  commands: CommandResult[];
}

/** Lines of a check's output kept for the user (shown and stored under .pc/failed/). */
export const TAIL_LINES = 40;

/**
 * Runs a prompt's checks one after the other, stopping at the first that fails. Each command runs
 * in a shell from the project root, with no TTY on stdin, in a process group of its own so that a
 * timeout or an abort kills everything it started.
 */
export async function runChecks(run: CheckRun): Promise<ChecksResult> {
  const started = performance.now();
  const results: CommandResult[] = [];
  for (const command of run.commands) {
    const result = await runCommand(command, run);
    results.push(result);
    if (result.failure) break;
  }
  const passed = results.every((r) => !r.failure);
  return { passed, durationMs: Math.round(performance.now() - started), commands: results };
}

function runCommand(command: string, run: CheckRun): Promise<CommandResult> {
  const started = performance.now();
  const tail = new TailLines(TAIL_LINES);
  return new Promise((resolve) => {
    const child = spawn(command, {
      cwd: run.root,
      shell: true,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PC_PROMPT: run.prompt, PC_OUTPUTS: run.outputs.join("\n") },
    });
    let stopped: string | undefined;
    const killGroup = (reason: string) => {
      stopped ??= reason;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // The group is gone already.
      }
    };
    const timer = setTimeout(() => killGroup(`timed out after ${formatSeconds(run.timeoutMs)}`), run.timeoutMs);
    const onAbort = () => killGroup("interrupted");
    if (run.signal?.aborted) onAbort();
    run.signal?.addEventListener("abort", onAbort);
    child.stdout.on("data", (chunk: Buffer) => tail.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => tail.push(chunk));
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, error?: Error) => {
      clearTimeout(timer);
      run.signal?.removeEventListener("abort", onAbort);
      // Whatever the command left running in its group goes with it.
      const stop = stopped ?? "done";
      killGroup(stop);
      const failure =
        error !== undefined
          ? `could not start: ${error.message}`
          : stop !== "done"
            ? stop
            : exitCode === 0
              ? undefined
              : exitCode !== null
                ? `exit code ${exitCode}`
                : `killed by ${signal}`;
      resolve({
        command,
        exitCode: exitCode ?? undefined,
        failure,
        timedOut: stop.startsWith("timed out"),
        tail: tail.lines(),
        durationMs: Math.round(performance.now() - started),
      });
    };
    child.on("error", (error) => finish(null, null, error));
    child.on("close", (code, signal) => finish(code, signal));
  });
}

const formatSeconds = (ms: number) => `${Number((ms / 1000).toFixed(3))} s`;

/** The last `max` lines of a stream of chunks, without keeping the rest. */
class TailLines {
  private readonly kept: string[] = [];
  private partial = "";

  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    const parts = (this.partial + chunk.toString("utf8")).split(/\r?\n/);
    this.partial = parts.pop() ?? "";
    this.kept.push(...parts);
    this.kept.splice(0, this.kept.length - this.max); // a negative count removes nothing
  }

  lines(): string[] {
    const all = this.partial === "" ? [...this.kept] : [...this.kept, this.partial];
    return all.slice(-this.max);
  }
}

/**
 * The line that says why a check failed: the first line of its output that names an error or a
 * failure (`SyntaxError: ...`, `FAILED test_x`, `AssertionError`), else its last non-empty line.
 */
export function failingLine(result: ChecksResult): string | undefined {
  const failed = result.commands.find((c) => c.failure);
  if (!failed) return undefined;
  const lines = failed.tail.map((l) => l.trim()).filter((l) => l !== "");
  return lines.find((l) => ERROR_LINE.test(l)) ?? lines.at(-1);
}

const ERROR_LINE = /\b(\w*(Error|Exception)\b|error\b|ERROR\b|FAIL(ED)?\b|[Ff]ailed\b|[Aa]ssertion)/;

/** A prompt's checks: the commands, the time each may take, and what they depend on (plan/hash.ts). */
export interface PromptChecks {
  commands: string[];
  timeoutMs: number;
  hash: string;
}

/** The checks of a parsed and hashed prompt, or undefined when it has none. */
export function checksOf(loaded: { parsed?: ParsedPrompt; hashes?: PromptHashes }): PromptChecks | undefined {
  const { parsed } = loaded;
  const hash = loaded.hashes?.checksHash;
  return parsed && hash !== undefined ? checksFor(parsed, hash) : undefined;
}

/** The checks of a parsed prompt whose checks hash to `hash`. */
export function checksFor(parsed: ParsedPrompt, hash: string): PromptChecks {
  return {
    commands: checkCommands(parsed),
    timeoutMs: (parsed.frontmatter.check_timeout ?? DEFAULT_CHECK_TIMEOUT) * 1000,
    hash,
  };
}

/** The verdict a generation carries for these bytes under the checks `checksHash`, if it has one. */
export function knownVerdict(
  checksHash: string | undefined,
  outputs: Record<string, string>,
  generation: Generation,
): CheckVerdict | undefined {
  const known = generation.checks;
  // A timeout may pass on a less busy machine: such a verdict is never reused.
  return checksHash !== undefined &&
    known?.hash === checksHash &&
    !known.timedOut &&
    known.outputs === outputsHash(outputs)
    ? known
    : undefined;
}

/** One hash over a prompt's output bytes, path by path. */
export function outputsHash(outputs: Record<string, string>): string {
  return sha256(canonicalJson(outputs));
}

/**
 * Runs a prompt's checks on its outputs as they are on disk (`outputs`: their text). The output of
 * a failing check is kept in `.pc/failed/` (returned as `kept`) so that the user can read all of it.
 */
export async function checkPrompt(
  root: string,
  target: { prompt: string; outputs: string[] },
  checks: PromptChecks,
  outputs: Record<string, string>,
  signal?: AbortSignal,
): Promise<{ verdict: CheckVerdict; result: ChecksResult; kept?: string }> {
  const result = await runChecks({
    commands: checks.commands,
    timeoutMs: checks.timeoutMs,
    root,
    prompt: target.prompt,
    outputs: target.outputs,
    signal,
  });
  const failed = result.commands.find((c) => c.failure);
  const verdict: CheckVerdict = {
    hash: checks.hash,
    outputs: outputsHash(outputs),
    passed: result.passed,
    durationMs: result.durationMs,
  };
  if (!failed) return { verdict, result };
  if (failed.timedOut) verdict.timedOut = true;
  verdict.failure = `${failed.command}: ${failed.failure}${failingLine(result) ? ` (${failingLine(result)})` : ""}`;
  const relative = `.pc/failed/${target.prompt.replace(/[\\/]/g, "__")}.check.txt`;
  const report = result.commands
    .map((c) => `$ ${c.command}\n${c.tail.join("\n")}\n${c.failure ? `[${c.failure}]` : "[passed]"}\n`)
    .join("\n");
  await writeFileAtomic(path.join(root, relative), report);
  return { verdict, result, kept: relative };
}
