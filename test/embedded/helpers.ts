/**
 * Temp projects that run the real tiny GGUF model, and a runner for the built `pc` binary.
 *
 * The tiny model rarely emits end-of-text, so its prompts stop at any of a few common letters
 * (well before max_tokens) and take the raw answer (`extract: raw`): it writes no code fence.
 */
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Lock } from "../../src/lock/lockfile.js";
import { writeTinyModel } from "../support/tiny-gguf.js";

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
export const CLI = path.join(REPO, "dist/cli.js");

export interface TinyPrompt {
  model?: string;
  seed?: number;
  temperature?: number;
  output: string;
  body?: string;
  extract?: "raw" | "fenced";
}

/** A prompt file for the tiny model. */
export function tinyPrompt(p: TinyPrompt): string {
  return [
    "---",
    "version: 1",
    `model: ${p.model ?? "gguf:models/tiny.gguf"}`,
    `seed: ${p.seed ?? 42}`,
    `temperature: ${p.temperature ?? 0.8}`,
    "max_tokens: 200",
    "stop: [a, e, i, o, u, s, t]",
    `extract: ${p.extract ?? "raw"}`,
    `output: ${p.output}`,
    "---",
    p.body ?? "Say hello.",
    "",
  ].join("\n");
}

/** A temp project with models/tiny.gguf (weights seed 1), models/other.gguf (seed 2) and the given prompts. */
export async function tinyProject(prompts: Record<string, TinyPrompt>): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "pc-tiny-"));
  await mkdir(path.join(root, "models"));
  await mkdir(path.join(root, "prompts"));
  await writeTinyModel(path.join(root, "models/tiny.gguf"), { seed: 1 });
  await writeTinyModel(path.join(root, "models/other.gguf"), { seed: 2 });
  for (const [name, prompt] of Object.entries(prompts)) await writeFile(path.join(root, "prompts", name), tinyPrompt(prompt));
  return root;
}

export async function removeProject(root: string | undefined): Promise<void> {
  if (root) await rm(root, { recursive: true, force: true });
}

export async function readLock(root: string): Promise<Lock> {
  return JSON.parse(await readFile(path.join(root, "promptfile.lock"), "utf8")) as Lock;
}

export async function readOutputs(root: string, files: string[]): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(files.map(async (f) => [f, await readFile(path.join(root, f), "utf8")] as const)));
}

export interface PcRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built binary in `cwd`; never rejects (a non-zero exit is a result). */
export function runPc(cwd: string, args: string[], options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {}): Promise<PcRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...(options.nodeArgs ?? []), CLI, ...args],
      { cwd, env: { ...process.env, NO_COLOR: "1", ...options.env }, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
