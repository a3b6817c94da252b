/**
 * Temp projects that run the real tiny GGUF model, made with test/support/project.ts.
 *
 * The tiny model rarely emits end-of-text, so its prompts stop at any of a few common letters
 * (well before max_tokens) and take the raw answer (`extract: raw`): it writes no code fence.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { makeProject, readText } from "../support/project.js";
import { tinyModelBytes } from "../support/tiny-gguf.js";

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
  const root = await makeProject({
    "models/tiny.gguf": tinyModelBytes({ seed: 1 }),
    "models/other.gguf": tinyModelBytes({ seed: 2 }),
    ...Object.fromEntries(Object.entries(prompts).map(([name, prompt]) => [`prompts/${name}`, tinyPrompt(prompt)])),
  }, "pc-tiny-");
  await mkdir(path.join(root, "prompts"), { recursive: true });
  return root;
}

/** The text of each of `files`, by path. */
export async function readOutputs(root: string, files: string[]): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(files.map(async (f) => [f, await readText(root, f)] as const)));
}
