// Temp projects for tests, in one place: `makeProject` makes one from an inline {path: content}
// tree and returns it as a `TempProject` (read, write, run `pc` in it, snapshot, remove). The
// path-level functions below are what its methods use, for code that holds only a root path.
// Every project made in a test file is removed when the file's tests end (test/support/setup.ts).
import { existsSync } from "node:fs";
import { cp, mkdir, mkdtemp, readFile, readdir, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { runPc, type EnvChanges, type PcRun } from "./pc.js";

/** File contents by posix path relative to the project root. */
export type FileTree = Record<string, string | Uint8Array>;

/** Writes `files` under `root`, creating folders. */
export async function writeFiles(root: string, files: FileTree): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), content);
  }
}

/** Removes a temp project (nothing happens if it is gone or was never made). */
export async function removeProject(root: string | undefined): Promise<void> {
  if (root) await rm(root, { recursive: true, force: true });
}

/** A project file's text (throws if it does not exist). */
export function readText(root: string, file: string): Promise<string> {
  return readFile(path.join(root, file), "utf8");
}

/** Whether a project file (or folder) exists. */
export function exists(root: string, file: string): boolean {
  return existsSync(path.join(root, file));
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

/** Temp files of atomic writes (`.<name>.pc-<12 hex>.tmp`), as src/util/fs.ts names them. */
export const TEMP_FILE = /\.pc-[0-9a-f]{12}\.tmp$/;

/** Temp files of atomic writes anywhere in the project. */
export async function tempFiles(root: string): Promise<string[]> {
  return (await listFiles(root)).filter((f) => TEMP_FILE.test(f));
}

/** path -> bytes of every file outside .pc/ (the files a user sees and commits). */
export async function snapshotBytes(root: string): Promise<Map<string, Buffer>> {
  const files = (await listFiles(root)).filter((f) => !f.startsWith(".pc/"));
  return new Map(
    await Promise.all(files.map(async (f) => [f, await readFile(path.join(root, f))] as [string, Buffer])),
  );
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
  /** Runs the built `pc` in the project (or its folder `options.cwd`), see test/support/pc.ts. */
  run(args: string[], options?: { cwd?: string; env?: EnvChanges; input?: string }): Promise<PcRun>;
  /** A copy of this project (every file, .pc/ too) in a new temp folder. */
  copy(): Promise<TempProject>;
  /** Removes the project. */
  cleanup(): Promise<void>;
}

const live = new Set<TempProject>();

/** The `TempProject` view of an existing folder; `cleanupProjects` removes it. */
function projectAt(root: string): TempProject {
  const abs = (relative: string) => path.join(root, ...relative.split("/"));
  const project: TempProject = {
    root,
    path: abs,
    exists: (relative) => exists(root, relative),
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
      runPc(args, { cwd: path.join(root, options.cwd ?? ""), env: options.env, input: options.input }),
    copy: () => copyProject(root),
    async cleanup() {
      live.delete(project);
      await removeProject(root);
    },
  };
  live.add(project);
  return project;
}

/** Makes a temp project from a file tree (folder name starting with `prefix`). */
export async function makeProject(files: FileTree = {}, prefix = "pc-test-"): Promise<TempProject> {
  // realpath: macOS's tmpdir is a symlink, and pc compares real paths when checking path safety.
  const root = await realpath(await mkdtemp(path.join(tmpdir(), prefix)));
  await writeFiles(root, files);
  return projectAt(root);
}

/** A copy of the project at `from` (every file, .pc/ too) in a new temp project. */
export async function copyProject(from: string): Promise<TempProject> {
  const copied = await makeProject();
  await cp(from, copied.root, { recursive: true });
  return copied;
}

/** Removes every project made so far and not yet cleaned up. */
export async function cleanupProjects(): Promise<void> {
  await Promise.all([...live].map((p) => p.cleanup()));
}
