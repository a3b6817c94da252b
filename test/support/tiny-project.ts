// Temp projects that run the real tiny GGUF model (test/support/tiny-gguf.ts).
//
// The tiny model rarely emits end-of-text, so its prompts stop at any of a few common letters
// (well before max_tokens) and take the raw answer (`extract: raw`): it writes no code fence.
import { mkdir } from "node:fs/promises";
import { makeProject, readText, type TempProject } from "./project.js";
import { promptFile, type PromptSpec } from "./prompt.js";
import { tinyModelBytes } from "./tiny-gguf.js";

/** The pins of a prompt for the tiny model (models/tiny.gguf of `tinyProject`). */
export const TINY_PINS: PromptSpec = {
  model: "gguf:models/tiny.gguf",
  temperature: 0.8,
  max_tokens: 200,
  stop: ["a", "e", "i", "o", "u", "s", "t"],
  extract: "raw",
  body: "Say hello.",
};

/** A prompt file for the tiny model: TINY_PINS, then `spec`. */
export function tinyPrompt(spec: PromptSpec): string {
  return promptFile({ ...TINY_PINS, ...spec });
}

/** A temp project with models/tiny.gguf (weights seed 1), models/other.gguf (seed 2), prompts/ and the given prompts. */
export async function tinyProject(prompts: Record<string, PromptSpec>): Promise<TempProject> {
  const files = Object.fromEntries(
    Object.entries(prompts).map(([name, spec]) => [`prompts/${name}`, tinyPrompt(spec)]),
  );
  const project = await makeProject(
    { "models/tiny.gguf": tinyModelBytes({ seed: 1 }), "models/other.gguf": tinyModelBytes({ seed: 2 }), ...files },
    "pc-tiny-",
  );
  await mkdir(project.path("prompts"), { recursive: true });
  return project;
}

/** The text of each of `files`, by path. */
export async function readOutputs(root: string, files: string[]): Promise<Record<string, string>> {
  return Object.fromEntries(await Promise.all(files.map(async (f) => [f, await readText(root, f)] as const)));
}
