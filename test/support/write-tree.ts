import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Writes an inline file tree (posix path -> text) under root. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
}

/** A new temp project holding `files`. */
export async function tempProject(files: Record<string, string>, prefix = "pc-test-"): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), prefix));
  await writeTree(root, files);
  return root;
}

/** A prompt file's text with the usual pins. */
export function promptFile(pins: Record<string, unknown>, body = "Write the file."): string {
  const yaml = Object.entries({ version: 1, model: "test-model", seed: 42, temperature: 0, ...pins })
    .map(([key, value]) => `${key}: ${JSON.stringify(value)}`)
    .join("\n");
  return `---\n${yaml}\n---\n${body}\n`;
}

export interface PcRun {
  code: number;
  stdout: string;
  stderr: string;
}

const CLI = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

/** Runs the built `pc` binary in `cwd`; never throws on a non-zero exit. */
export function runPc(cwd: string, args: string[], env: Record<string, string | undefined> = {}): Promise<PcRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd, env: { ...process.env, NO_COLOR: "1", PC_BASE_URL: undefined, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}
