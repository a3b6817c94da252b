import { sha256 } from "../util/fs.js";
import type { GenerationStore } from "./store.js";

/**
 * Whether bytes on disk are ones pc wrote itself: the output as some generation of the prompt kept
 * in the cache has it (under any request: the prompt's inputs may have changed since). A build
 * stopped after writing an output and before recording it in the lock leaves such bytes; they are
 * no hand edit, and replacing them loses nothing (they stay in the cache).
 */
export async function writtenByPc(
  store: GenerationStore,
  prompt: string,
  output: string,
  hash: string,
): Promise<boolean> {
  for (const generation of await store.forPrompt(prompt)) {
    const text = generation.outputs[output];
    if (typeof text === "string" && sha256(text) === hash) return true;
  }
  return false;
}
