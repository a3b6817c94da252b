// Helpers of the reliability tests, on top of test/support/project.ts: prompt files with this
// suite's pins, the built `pc` run without any server settings or key inherited from the shell, and
// snapshots of what a build leaves on disk.
import { promises as fsp } from "node:fs";
import path from "node:path";
import {
  listFiles, makeProject, promptFile, runPc as runSharedPc, spawnPc as spawnSharedPc, type EnvChanges, type PcOptions, type PcRun,
  type SpawnedPc,
} from "../support/project.js";

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

/** The text of a prompt file with this suite's pins (seed 7, temperature 0, "Write the script."). */
export function promptText(spec: PromptSpec = {}): string {
  const { outputs, output, seed, body, ...rest } = spec;
  return promptFile({ ...rest, output: outputs ?? output, seed: seed ?? 7, body: body ?? "Write the script." });
}

/** A copy of the project at `from` in a fresh temp folder. */
export async function copyProject(from: string): Promise<string> {
  const root = await makeProject();
  await fsp.cp(from, root, { recursive: true });
  return root;
}

/** No server settings, key or forced colour inherited from the shell. */
const ISOLATED: EnvChanges = { PC_BASE_URL: undefined, PC_API_KEY: undefined, FORCE_COLOR: undefined };

/** Starts the built `pc` binary in `options.cwd`, isolated from the shell's pc settings. */
export function spawnPc(args: string[], options: PcOptions): SpawnedPc {
  return spawnSharedPc(args, { ...options, env: { ...ISOLATED, ...options.env } });
}

/** Runs the built `pc` binary to completion, isolated from the shell's pc settings. */
export function runPc(args: string[], options: PcOptions): Promise<PcRun> {
  return runSharedPc(args, { ...options, env: { ...ISOLATED, ...options.env } });
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

/** Whether a project file (or folder) exists. */
export async function exists(root: string, file: string): Promise<boolean> {
  return fsp.access(path.join(root, file)).then(() => true, () => false);
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
