// Temp projects for tests: a folder made from a {path: content} map, the built `pc` binary run in
// it, and removal afterwards. Call `cleanupProjects` in afterEach/afterAll of any file that uses it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The compiled CLI; test/global-setup.ts builds dist/ once per run. */
export const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** File contents by posix path relative to the project root. */
export type FileTree = Record<string, string | Uint8Array>;

export interface RunResult {
  /** The exit code (a signal counts as 128 + 1). */
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Folder to run in, relative to the project root (default: the root). */
  cwd?: string;
  /** Extra environment; NO_COLOR is always set so output is plain text. */
  env?: Record<string, string | undefined>;
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
  remove(relative: string): Promise<void>;
  /** Creates a symlink at `relative` pointing to `target` (taken as is: relative or absolute). */
  symlink(relative: string, target: string): Promise<void>;
  /** Runs `node dist/cli.js <args>` in the project. Never throws on a non-zero exit. */
  run(args: string[], options?: RunOptions): Promise<RunResult>;
  cleanup(): Promise<void>;
}

const live = new Set<TempProject>();

/** Makes a temp project from a file tree. */
export async function createProject(files: FileTree = {}): Promise<TempProject> {
  // realpath: macOS's tmpdir is a symlink, and pc compares real paths when checking path safety.
  const root = await realpath(await mkdtemp(path.join(tmpdir(), "pc-test-")));
  const abs = (relative: string) => path.join(root, ...relative.split("/"));
  const project: TempProject = {
    root,
    path: abs,
    exists: (relative) => existsSync(abs(relative)),
    read: (relative) => readFile(abs(relative), "utf8"),
    readBytes: (relative) => readFile(abs(relative)),
    async write(tree) {
      for (const [relative, content] of Object.entries(tree)) {
        await mkdir(path.dirname(abs(relative)), { recursive: true });
        await writeFile(abs(relative), content);
      }
    },
    remove: (relative) => rm(abs(relative), { recursive: true, force: true }),
    async symlink(relative, target) {
      await mkdir(path.dirname(abs(relative)), { recursive: true });
      await symlink(target, abs(relative));
    },
    run: (args, options = {}) => runPc(args, { ...options, cwd: path.join(root, options.cwd ?? "") }),
    async cleanup() {
      live.delete(project);
      await rm(root, { recursive: true, force: true });
    },
  };
  live.add(project);
  await project.write(files);
  return project;
}

/** Removes every temp project not yet cleaned up. */
export async function cleanupProjects(): Promise<void> {
  await Promise.all([...live].map((p) => p.cleanup()));
}

/** Runs the built binary with `cwd` as the working folder. */
export function runPc(args: string[], options: { cwd: string; env?: Record<string, string | undefined> }): Promise<RunResult> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", FORCE_COLOR: undefined, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: options.cwd, env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 129) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A valid prompt file's text: the four pins, the output(s), extra frontmatter lines, then the body. */
export function promptFile(options: {
  output?: string | string[];
  body?: string;
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
    ...(options.extra ? [options.extra.trimEnd()] : []),
    "---",
    options.body ?? "Write the file.",
    "",
  ].join("\n");
}
