// Temp projects for tests, in one place: a folder made from an inline {path: content} tree, files
// written into it and read back (text, the lock), the built `pc` binary run in it, and removal.
// Two ways to hold a project: its root path with the functions below, or a `TempProject` object
// (`createProject`) that wraps them; call `cleanupProjects` in afterEach/afterAll for the latter.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO = fileURLToPath(new URL("../..", import.meta.url));
/** The compiled CLI; test/global-setup.ts builds dist/ once per run. */
export const CLI = path.join(REPO, "dist/cli.js");

/** File contents by posix path relative to the project root. */
export type FileTree = Record<string, string | Uint8Array>;

/** Writes `files` under `root`, creating folders. */
export async function writeFiles(root: string, files: FileTree): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), content);
  }
}

/** Makes a temp project from a file tree; returns its absolute, symlink-free root. */
export async function makeProject(files: FileTree = {}, prefix = "pc-test-"): Promise<string> {
  // realpath: macOS's tmpdir is a symlink, and pc compares real paths when checking path safety.
  const root = await realpath(await mkdtemp(path.join(tmpdir(), prefix)));
  await writeFiles(root, files);
  return root;
}

/** Removes a temp project (nothing happens if it is gone or was never made). */
export async function removeProject(root: string | undefined): Promise<void> {
  if (root) await rm(root, { recursive: true, force: true });
}

/** A project file's text (throws if it does not exist). */
export function readText(root: string, file: string): Promise<string> {
  return readFile(path.join(root, file), "utf8");
}

/** promptfile.lock as JSON, loosely typed for assertions. */
export interface LockJson {
  lockfileVersion: number;
  prompts: Record<string, Record<string, any> & { outputs: Record<string, string>; inputs: Record<string, string> }>;
}

/** The parsed promptfile.lock (throws if it is missing or not JSON). */
export async function readLockJson(root: string): Promise<LockJson> {
  return JSON.parse(await readText(root, "promptfile.lock"));
}

/** Every file under `root` (or its folder `under`), as sorted posix paths relative to `root`. */
export async function listFiles(root: string, under = ""): Promise<string[]> {
  const found: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else found.push(rel);
    }
  };
  await walk(under);
  return found.sort();
}

/** Changes to a child's environment: a value sets a variable, undefined removes it. */
export type EnvChanges = Record<string, string | undefined>;

/** The environment of a child `pc`: this process's, with NO_COLOR=1 and then `changes`. */
export function pcEnv(changes: EnvChanges = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

/** Keeps a developer's PC_BASE_URL out of a run. */
export const NO_BASE_URL: EnvChanges = { PC_BASE_URL: undefined };

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
  /** Changes to the environment, applied after NO_COLOR=1 (see pcEnv). */
  env?: EnvChanges;
  /** Text for stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** Node options before the CLI script, e.g. ["--import", hook]. */
  nodeArgs?: string[];
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

/** Starts the built `pc` binary (asynchronously, so an in-process test server keeps answering). */
export function spawnPc(args: string[], options: PcOptions): SpawnedPc {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
    cwd: options.cwd,
    env: pcEnv(options.env),
    stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    ...(options.user ? { uid: options.user.uid, gid: options.user.gid } : {}),
  });
  if (options.input !== undefined) child.stdin!.end(options.input);
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
  // Decoded as streams, so a character split across two chunks stays whole.
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr!.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    check();
  });
  const done = new Promise<PcRun>((resolve, reject) => {
    child.on("error", reject);
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

/** Runs the built `pc` binary to completion; a non-zero exit is a result, not an error. */
export function runPc(args: string[], options: PcOptions): Promise<PcRun> {
  return spawnPc(args, options).done;
}

export interface TempProject {
  /** Absolute, symlink-free path of the project root. */
  root: string;
  /** Absolute path of a project file. */
  path(relative: string): string;
  exists(relative: string): boolean;
  read(relative: string): Promise<string>;
  readBytes(relative: string): Promise<Buffer>;
  /** Writes files (creating folders), like the initial tree. */
  write(files: FileTree): Promise<void>;
  /** Removes a file or folder of the project. */
  remove(relative: string): Promise<void>;
  /** Creates a symlink at `relative` pointing to `target` (taken as is: relative or absolute). */
  symlink(relative: string, target: string): Promise<void>;
  /** The parsed promptfile.lock. */
  lock(): Promise<LockJson>;
  /** Every file of the project except .pc/, path -> text, sorted by path. */
  snapshot(): Promise<Record<string, string>>;
  /** Runs the built `pc` in the project (or its folder `options.cwd`), without a forced colour setting. */
  run(args: string[], options?: { cwd?: string; env?: EnvChanges }): Promise<PcRun>;
  /** Removes the project. */
  cleanup(): Promise<void>;
}

const live = new Set<TempProject>();

/** Makes a temp project from a file tree, as an object; `cleanupProjects` removes it. */
export async function createProject(files: FileTree = {}): Promise<TempProject> {
  const root = await makeProject(files);
  const abs = (relative: string) => path.join(root, ...relative.split("/"));
  const project: TempProject = {
    root,
    path: abs,
    exists: (relative) => existsSync(abs(relative)),
    read: (relative) => readText(root, relative),
    readBytes: (relative) => readFile(abs(relative)),
    write: (tree) => writeFiles(root, tree),
    remove: (relative) => rm(abs(relative), { recursive: true, force: true }),
    async symlink(relative, target) {
      await mkdir(path.dirname(abs(relative)), { recursive: true });
      await symlink(target, abs(relative));
    },
    lock: () => readLockJson(root),
    async snapshot() {
      const files = (await listFiles(root)).filter((f) => !f.startsWith(".pc/"));
      return Object.fromEntries(await Promise.all(files.map(async (f) => [f, await readText(root, f)] as const)));
    },
    run: (args, options = {}) =>
      runPc(args, { cwd: path.join(root, options.cwd ?? ""), env: { FORCE_COLOR: undefined, ...options.env } }),
    async cleanup() {
      live.delete(project);
      await removeProject(root);
    },
  };
  live.add(project);
  return project;
}

/** Removes every `createProject` project not yet cleaned up. */
export async function cleanupProjects(): Promise<void> {
  await Promise.all([...live].map((p) => p.cleanup()));
}

/** A valid prompt file's text: the four pins, the output(s), context, extra frontmatter lines, then the body. */
export function promptFile(options: {
  output?: string | string[];
  body?: string;
  /** Context files, as a flow list. */
  context?: string[];
  /** Extra frontmatter, as YAML lines. */
  extra?: string;
  model?: string;
  seed?: number;
  temperature?: number;
  version?: number;
}): string {
  const output = options.output ?? "generated/out.py";
  const outputLine = Array.isArray(output) ? `outputs: [${output.join(", ")}]` : `output: ${output}`;
  return [
    "---",
    `version: ${options.version ?? 1}`,
    `model: ${options.model ?? "test-model"}`,
    `seed: ${options.seed ?? 42}`,
    `temperature: ${options.temperature ?? 0}`,
    outputLine,
    ...(options.context ? [`context: [${options.context.join(", ")}]`] : []),
    ...(options.extra ? [options.extra.trimEnd()] : []),
    "---",
    options.body ?? "Write the file.",
    "",
  ].join("\n");
}

/** A prompt file whose frontmatter is `pins` as JSON values (version 1, test-model, seed 42, temperature 0 unless given), then the body. */
export function promptFromPins(pins: Record<string, unknown>, body = "Write the file."): string {
  const yaml = Object.entries({ version: 1, model: "test-model", seed: 42, temperature: 0, ...pins })
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join("\n");
  return `---\n${yaml}\n---\n${body}\n`;
}
