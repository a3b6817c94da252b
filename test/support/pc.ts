// The built `pc` binary, run the one way every test runs it: in a folder, with an environment
// isolated from the developer's shell (no colour, no server settings or key, no display for the
// clipboard) plus the test's own changes, and stdin closed unless the test gives input.
// With PC_TEST_IN_PROCESS=1, runPc runs the command line in this process instead (see runInProcess).
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO = fileURLToPath(new URL("../..", import.meta.url));
/** The compiled CLI; test/global-setup.ts builds dist/ once per run. */
export const CLI = path.join(REPO, "dist/cli.js");

/** Changes to a child's environment: a value sets a variable, undefined removes it. */
export type EnvChanges = Record<string, string | undefined>;

/** What a child `pc` never inherits from the shell: forced colour, pc's server settings, a display. */
const ISOLATED: EnvChanges = {
  NO_COLOR: "1",
  FORCE_COLOR: undefined,
  PC_BASE_URL: undefined,
  PC_API_KEY: undefined,
  DISPLAY: undefined,
  WAYLAND_DISPLAY: undefined,
};

/** The environment of a child `pc`: this process's, isolated (see ISOLATED), then `changes`. */
export function pcEnv(changes: EnvChanges = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const [key, value] of Object.entries({ ...ISOLATED, ...changes })) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface PcRun {
  /** The exit code, null when a signal ended the process. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface PcOptions {
  /** Folder to run in. */
  cwd: string;
  /** Changes to the environment, applied after the isolation (see pcEnv). */
  env?: EnvChanges;
  /** Text for stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** Node options before the CLI script, e.g. ["--import", hook]. */
  nodeArgs?: string[];
  /** Run as this user (root can drop to an unprivileged user, for whom permissions apply); see other-user.ts. */
  user?: { uid: number; gid: number };
  /** The CLI to run instead of this clone's dist/cli.js (a copy another user can read). */
  cli?: string;
  /**
   * Run in a pseudo-terminal, as a person at a terminal sees it (script(1), see TERMINAL): stdout
   * then holds everything the terminal showed, stderr included.
   */
  terminal?: boolean;
}

/** script(1) from util-linux, which runs a command in a pseudo-terminal; undefined where it is missing. */
export const TERMINAL = ["/usr/bin/script", "/bin/script"].find((file) => existsSync(file));

export interface SpawnedPc {
  child: ChildProcess;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited. */
  done: Promise<PcRun>;
  /**
   * Resolves when stderr, from character `from` on (default 0), has matched `pattern` (rejects if
   * the process exits first).
   */
  waitForStderr(pattern: RegExp, from?: number): Promise<void>;
  /** Resolves when stdout, from character `from` on (default 0), has matched `pattern` (rejects if the process exits first). */
  waitForStdout(pattern: RegExp, from?: number): Promise<void>;
}

interface Waiter {
  stream: "stdout" | "stderr";
  pattern: RegExp;
  from: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

/** Starts the built `pc` binary (asynchronously, so an in-process test server keeps answering). */
export function spawnPc(args: string[], options: PcOptions): SpawnedPc {
  const argv = [process.execPath, ...(options.nodeArgs ?? []), options.cli ?? CLI, ...args];
  if (options.terminal && !TERMINAL) throw new Error("script(1) is not installed: no pseudo-terminal to run pc in");
  const [file, ...rest] = options.terminal ? [TERMINAL!, "-qfec", argv.map(shellQuote).join(" "), "/dev/null"] : argv;
  const child = spawn(file!, rest, {
    cwd: options.cwd,
    env: pcEnv(options.env),
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
  const text = { stdout: "", stderr: "" };
  const waiters: Waiter[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.pattern.test(text[w.stream].slice(w.from))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  // Decoded as streams, so a character split across two chunks stays whole.
  for (const stream of ["stdout", "stderr"] as const) {
    child[stream]!.setEncoding("utf8").on("data", (d: string) => {
      text[stream] += d;
      check();
    });
  }
  const done = new Promise<PcRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      for (const w of waiters.splice(0)) {
        w.reject(new Error(`pc exited (${code ?? signal}) before ${w.stream} matched ${w.pattern}:\n${text.stderr}`));
      }
      resolve({ code, signal, stdout: text.stdout, stderr: text.stderr });
    });
  });
  const waitFor = (stream: Waiter["stream"], pattern: RegExp, from = 0) =>
    new Promise<void>((resolve, reject) => {
      waiters.push({ stream, pattern, from, resolve, reject });
      check();
    });
  return {
    child,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    done,
    waitForStderr: (pattern, from) => waitFor("stderr", pattern, from),
    waitForStdout: (pattern, from) => waitFor("stdout", pattern, from),
  };
}

function shellQuote(arg: string): string {
  return `'${arg.replace(/'/g, "'\\''")}'`;
}

/**
 * Runs `pc` to completion; a non-zero exit is a result, not an error. It runs the built binary, or,
 * with PC_TEST_IN_PROCESS=1 and when the call needs no process of its own, the command line's
 * source in this process (see runInProcess).
 */
export function runPc(args: string[], options: PcOptions): Promise<PcRun> {
  if (process.env.PC_TEST_IN_PROCESS === "1" && runsInProcess(options)) return runInProcess(args, options);
  return spawnPc(args, options).done;
}

/** Variables read when a process starts (by Node or the C library), which a run in process cannot change. */
const PROCESS_VARIABLES = /^(NODE_|UV_|LD_|MALLOC_)/;

/** Whether another in-process run is under way: its environment is in process.env until it ends. */
let inProcessRun = false;

/**
 * Whether a call can run in this process: not as another user, in a terminal, with Node options or
 * another CLI, nor with variables only a new process reads, nor while another run holds process.env.
 */
export function runsInProcess(options: PcOptions): boolean {
  return (
    !inProcessRun &&
    !options.nodeArgs?.length &&
    !options.user &&
    !options.cli &&
    !options.terminal &&
    !Object.keys(options.env ?? {}).some((key) => PROCESS_VARIABLES.test(key))
  );
}

/**
 * `pc` as the mutation tests want it: the command line's TypeScript source (src/cli/run-cli.ts)
 * called in this process with its own folder, streams and stdin, so what instruments src/ sees the
 * run. The library still reads a few variables from process.env (PC_BASE_URL, PC_API_KEY, the hub's),
 * so the call's environment changes (ISOLATED and the test's own) are applied to process.env for the
 * run and undone after it; a run that starts meanwhile spawns the binary instead (runsInProcess).
 * vitest runs each test file in its own worker, so other files never see these changes.
 */
export async function runInProcess(args: string[], options: PcOptions): Promise<PcRun> {
  const { runCli } = await import("../../src/cli/run-cli.js");
  const stdout = capture();
  const stderr = capture();
  const stdin = Readable.from(options.input === undefined ? [] : [Buffer.from(options.input)]);
  inProcessRun = true;
  const restore = applyEnv({ ...ISOLATED, ...options.env });
  try {
    // A child's cwd is the real path (getcwd), as process.cwd() gives it.
    const cwd = realpathSync(options.cwd);
    const code = await runCli(args, { cwd, env: process.env, stdin, stdout: stdout.stream, stderr: stderr.stream });
    return { code, signal: null, stdout: stdout.text(), stderr: stderr.text() };
  } finally {
    restore();
    inProcessRun = false;
  }
}

/** Sets (or removes) variables in process.env; returns how to put the previous values back. */
function applyEnv(changes: EnvChanges): () => void {
  const previous = Object.keys(changes).map((key) => [key, process.env[key]] as const);
  const set = (key: string, value: string | undefined) => {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  };
  for (const [key, value] of Object.entries(changes)) set(key, value);
  return () => {
    for (const [key, value] of previous) set(key, value);
  };
}

/** A stream that keeps what is written to it as text (decoded, so a split character stays whole). */
function capture(): { stream: Writable; text: () => string } {
  const decoder = new StringDecoder("utf8");
  let text = "";
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += typeof chunk === "string" ? chunk : decoder.write(chunk);
      done();
    },
  });
  return { stream, text: () => text + decoder.end() };
}
