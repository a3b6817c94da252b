// Helpers of the reliability tests: temp projects from inline file trees, the built `pc` binary run
// as a child process (async, so an in-process test server keeps answering), and snapshots of what
// a build leaves on disk.
import { spawn, type ChildProcess } from "node:child_process";
import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const PC = path.join(REPO, "dist/cli.js");

/** Temp files of atomic writes (`.<name>.pc-<12 hex>.tmp`), as src/util/fs.ts names them. */
export const TEMP_FILE = /\.pc-[0-9a-f]{12}\.tmp$/;

export interface PromptSpec {
  output?: string;
  outputs?: string[];
  model?: string;
  seed?: number;
  context?: string[];
  extra?: string;
  body?: string;
}

/** The text of a prompt file with the usual pins. */
export function promptText(spec: PromptSpec = {}): string {
  const lines = ["---", "version: 1", `model: ${spec.model ?? "test-model"}`, `seed: ${spec.seed ?? 7}`, "temperature: 0"];
  if (spec.outputs) lines.push(`outputs: [${spec.outputs.join(", ")}]`);
  else lines.push(`output: ${spec.output ?? "generated/out.py"}`);
  if (spec.context) lines.push(`context: [${spec.context.join(", ")}]`);
  if (spec.extra) lines.push(spec.extra);
  lines.push("---", spec.body ?? "Write the script.", "");
  return lines.join("\n");
}

/** A project in a fresh temp folder from `files` (path -> text or bytes). */
export async function makeProject(files: Record<string, string | Uint8Array>, name = "pc-rel-"): Promise<string> {
  const root = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), name)));
  await writeFiles(root, files);
  return root;
}

export async function writeFiles(root: string, files: Record<string, string | Uint8Array>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await fsp.mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await fsp.writeFile(path.join(root, file), content);
  }
}

export async function copyProject(from: string): Promise<string> {
  const root = await fsp.realpath(await fsp.mkdtemp(path.join(os.tmpdir(), "pc-rel-")));
  await fsp.cp(from, root, { recursive: true });
  return root;
}

export async function removeProject(root: string): Promise<void> {
  await fsp.rm(root, { recursive: true, force: true });
}

export interface PcRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child `pc`: no colour, no inherited server settings or key. */
export function pcEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.PC_BASE_URL;
  delete env.PC_API_KEY;
  delete env.FORCE_COLOR;
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

export interface PcOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Run as this user (root can drop to an unprivileged user, for whom permissions apply). */
  user?: { uid: number; gid: number };
}

export interface SpawnedPc {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolves when the process has exited. */
  done: Promise<PcRun>;
  /** Resolves when stderr has matched `pattern` (rejects if the process exits first). */
  waitForStderr(pattern: RegExp): Promise<void>;
}

/** Starts the built `pc` binary in `cwd`. */
export function spawnPc(args: string[], options: PcOptions): SpawnedPc {
  const child = spawn(process.execPath, [PC, ...args], {
    cwd: options.cwd,
    env: pcEnv(options.env),
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  let stdout = "";
  let stderr = "";
  const waiters: Array<{ pattern: RegExp; resolve: () => void; reject: (e: Error) => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.pattern.test(stderr)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => {
    stderr += d.toString("utf8");
    check();
  });
  const done = new Promise<PcRun>((resolve) => {
    child.on("close", (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`pc exited (${code ?? signal}) before stderr matched ${w.pattern}:\n${stderr}`));
      resolve({ code, signal, stdout, stderr });
    });
  });
  return {
    child,
    stderr: () => stderr,
    done,
    waitForStderr: (pattern) =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, resolve, reject });
        check();
      }),
  };
}

/** Runs the built `pc` binary to completion. */
export function runPc(args: string[], options: PcOptions): Promise<PcRun> {
  return spawnPc(args, options).done;
}

/** Every file under `root` (posix relative paths), sorted. */
export async function listFiles(root: string, under = ""): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await fsp.readdir(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else found.push(rel);
    }
  };
  await walk(under);
  return found.sort();
}

/** Temp files of atomic writes anywhere in the project. */
export async function tempFiles(root: string): Promise<string[]> {
  return (await listFiles(root)).filter((f) => TEMP_FILE.test(f));
}

/** path -> bytes of every file outside .pc/ (the files a user sees and commits). */
export async function snapshot(root: string): Promise<Map<string, Buffer>> {
  const files = (await listFiles(root)).filter((f) => !f.startsWith(".pc/"));
  return new Map(await Promise.all(files.map(async (f) => [f, await fsp.readFile(path.join(root, f))] as [string, Buffer])));
}

export async function readText(root: string, file: string): Promise<string> {
  return fsp.readFile(path.join(root, file), "utf8");
}

export async function exists(root: string, file: string): Promise<boolean> {
  return fsp.access(path.join(root, file)).then(() => true, () => false);
}

/** The lock as parsed JSON (throws if it is not valid JSON). */
export async function readLockJson(root: string): Promise<{ lockfileVersion: number; prompts: Record<string, Record<string, unknown>> }> {
  return JSON.parse(await readText(root, "promptfile.lock"));
}

/** A TCP port on 127.0.0.1 with nothing listening on it (and not on fetch's blocked-port list). */
export async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
