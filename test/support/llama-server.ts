// The real llama.cpp server (../shared/tools/llama-server, next to the project) for tests and
// benchmarks: started on 127.0.0.1 with a free port for one test or suite, stopped at its end, and
// killed if the test process goes away first. Without ../shared the suites that need it are skipped,
// with a line saying so.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { describe } from "vitest";
import { REPO } from "./pc.js";

/** Where the real llama-server is expected, relative to the project: ../shared/tools/llama-server. */
export const LLAMA_SERVER = path.resolve(REPO, "../shared/tools/llama-server");

/** Why the real llama-server cannot be used here, or undefined when it can. */
export function llamaServerMissing(): string | undefined {
  return existsSync(LLAMA_SERVER)
    ? undefined
    : `${LLAMA_SERVER} does not exist (CI has it beside the clone as ../shared)`;
}

/** `describe`, or `describe.skip` with a visible line when there is no llama-server. */
export function describeWithLlamaServer(name: string, suite: () => void): void {
  const missing = llamaServerMissing();
  if (missing) {
    console.warn(`SKIPPED "${name}": the real llama-server is not available: ${missing}`);
    describe.skip(`${name} (skipped: no llama-server: ${missing})`, suite);
  } else {
    describe(name, suite);
  }
}

export interface LlamaServerOptions {
  /** The GGUF file, as passed to -m (relative to `cwd` or absolute). */
  model: string;
  /** The folder the server starts in (what a relative -m is relative to). Default: the model's folder. */
  cwd?: string;
  /** Parallel slots (-np). Default 1. */
  parallel?: number;
  /** More flags, e.g. ["--top-k", "3"]. */
  args?: string[];
}

export interface LlamaServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `url + "/v1"`, pc's base URL. */
  readonly baseURL: string;
  readonly process: ChildProcess;
  /** What the server logged so far (stdout and stderr). */
  log(): string;
  /** SIGKILL, as a crash would: open connections break mid-answer. */
  kill(): Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL if it lingers). */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookSet = false;

/** Starts llama-server with one thread and a free port; resolves once GET /health answers 200. */
export async function startLlamaServer(options: LlamaServerOptions): Promise<LlamaServer> {
  const missing = llamaServerMissing();
  if (missing) throw new Error(`no llama-server: ${missing}`);
  if (!exitHookSet) {
    // A test that fails (or a vitest worker that exits) never leaves a server behind.
    process.once("exit", () => running.forEach((child) => child.kill("SIGKILL")));
    exitHookSet = true;
  }
  const cwd = options.cwd ?? path.dirname(path.resolve(options.model));
  const args = [
    "-m",
    options.model,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "-np",
    String(options.parallel ?? 1),
    "-t",
    "1",
    ...(options.args ?? []),
  ];
  const child = spawn(LLAMA_SERVER, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let log = "";
  child.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once("exit", () => {
      running.delete(child);
      resolve();
    }),
  );
  const stop = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const lingering = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(lingering);
  };
  try {
    const url = await waitForPort(child, () => log);
    await waitForHealth(url, child, () => log);
    return {
      url,
      baseURL: `${url}/v1`,
      process: child,
      log: () => log,
      kill: () => stop("SIGKILL"),
      stop: () => stop("SIGTERM"),
    };
  } catch (error) {
    await stop("SIGKILL");
    throw error;
  }
}

async function waitForPort(child: ChildProcess, log: () => string): Promise<string> {
  for (let waited = 0; waited < 30_000; waited += 20) {
    const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log());
    if (match) return match[1]!;
    if (child.exitCode !== null)
      throw new Error(`llama-server exited (${child.exitCode}) before listening:\n${log().slice(-2000)}`);
    await sleep(20);
  }
  throw new Error(`llama-server did not say where it listens within 30 s:\n${log().slice(-2000)}`);
}

async function waitForHealth(url: string, child: ChildProcess, log: () => string): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 20) {
    if (child.exitCode !== null)
      throw new Error(`llama-server exited (${child.exitCode}) while loading:\n${log().slice(-2000)}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await sleep(20);
  }
  throw new Error(`llama-server at ${url} was not healthy within 30 s:\n${log().slice(-2000)}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
