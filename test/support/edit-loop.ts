// Temp projects for the editing-loop tests (cache, watch, diff, log, gc): an inline file tree on
// disk, the built `pc` binary to run against it, and readers for what it leaves behind.
import { spawn } from "node:child_process";
import { mkdtemp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const PC_BIN = path.join(REPO, "dist/cli.js");

export interface PromptSpec {
  output: string;
  body?: string;
  model?: string;
  seed?: number;
  temperature?: number;
  context?: string[];
  /** Extra frontmatter lines, e.g. "format: false". */
  extra?: string[];
}

/** The text of a prompt file. */
export function promptFile(spec: PromptSpec): string {
  const lines = [
    "---",
    "version: 1",
    `model: ${spec.model ?? "test-model"}`,
    `seed: ${spec.seed ?? 1}`,
    `temperature: ${spec.temperature ?? 0}`,
    `output: ${spec.output}`,
    ...(spec.context ? [`context: [${spec.context.join(", ")}]`] : []),
    ...(spec.extra ?? []),
    "---",
    spec.body ?? `Write ${spec.output}.`,
    "",
  ];
  return lines.join("\n");
}

/** Creates a temp project from `files` (path -> text); returns its root. */
export async function makeProject(files: Record<string, string>, prefix = "pc-loop-"): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), prefix));
  await writeFiles(root, files);
  return root;
}

export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
}

export async function removeProject(root: string): Promise<void> {
  await rm(root, { recursive: true, force: true });
}

export async function readText(root: string, file: string): Promise<string | undefined> {
  try {
    return await readFile(path.join(root, file), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

export async function readLockFile(root: string): Promise<{ prompts: Record<string, Record<string, any>> }> {
  return JSON.parse((await readText(root, "promptfile.lock")) ?? '{"prompts":{}}');
}

export interface PcRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `pc` in `cwd` (no colour, no TTY) and collects its output. */
export function runPc(cwd: string, args: string[], env: Record<string, string> = {}): Promise<PcRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [PC_BIN, ...args], {
      cwd,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
