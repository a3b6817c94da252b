import type { ChatMessage } from "../engine/types.js";
import type { ParsedPrompt } from "../prompt/frontmatter.js";
import { PROTOCOL_VERSION } from "../prompt/protocol.js";
import { sha256 } from "../util/fs.js";

/** The sampling pins sent with every request besides seed and temperature. */
export interface Sampling {
  top_p: number;
  top_k?: number;
  max_tokens?: number;
  stop?: string[];
}

/** top_p is always sent: Ollama silently uses 1.0 for an omitted value, so pin it explicitly. */
export function samplingOf(prompt: ParsedPrompt): Sampling {
  const fm = prompt.frontmatter;
  const sampling: Sampling = { top_p: fm.top_p ?? 1 };
  if (fm.top_k !== undefined) sampling.top_k = fm.top_k;
  if (fm.max_tokens !== undefined) sampling.max_tokens = fm.max_tokens;
  if (fm.stop !== undefined) sampling.stop = typeof fm.stop === "string" ? [fm.stop] : fm.stop;
  return sampling;
}

/** JSON with object keys sorted, so hashes do not depend on key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v,
  );
}

export interface PromptHashes {
  /** Everything the engine is asked: the cache key of a generation. */
  requestHash: string;
  /** The request plus what post-processing depends on: the lock's input hash. */
  inputHash: string;
  /** What the prompt's checks depend on (see checksHash); undefined without checks. */
  checksHash?: string;
}

/**
 * Hashes a rendered prompt. `modelFileHash` is the sha256 of a local GGUF model (embedded engine),
 * so a different file under the same path changes the hash.
 */
export function hashPrompt(
  prompt: ParsedPrompt,
  messages: ChatMessage[],
  modelFileHash?: string,
  checkInputs: Record<string, string> = {},
): PromptHashes {
  const fm = prompt.frontmatter;
  const requestHash = sha256(
    canonicalJson({
      protocol: PROTOCOL_VERSION,
      messages,
      model: fm.model,
      modelFile: modelFileHash,
      seed: fm.seed,
      temperature: fm.temperature,
      sampling: samplingOf(prompt),
      version: fm.version,
    }),
  );
  const checks = checksHash(prompt, checkInputs);
  const inputHash = sha256(
    canonicalJson({
      request: requestHash,
      outputs: prompt.outputs,
      extract: fm.extract ?? "fenced",
      format: fm.format ?? true,
      // Only when the prompt has checks: a prompt without them keeps the hash it always had.
      checks,
    }),
  );
  return checks === undefined ? { requestHash, inputHash } : { requestHash, inputHash, checksHash: checks };
}

/** The prompt's check commands as a list (the `check` key takes one command or several). */
export function checkCommands(prompt: ParsedPrompt): string[] {
  const check = prompt.frontmatter.check;
  return check === undefined ? [] : typeof check === "string" ? [check] : check;
}

/** Seconds a check command may run when the prompt does not say. */
export const DEFAULT_CHECK_TIMEOUT = 60;

/**
 * What a generation's checks depend on: the commands, their timeout and the bytes of their inputs.
 * Not part of the request (the cache key): changing a check reruns it on the cached generation
 * instead of asking the model again. Undefined for a prompt without checks.
 */
export function checksHash(prompt: ParsedPrompt, checkInputs: Record<string, string>): string | undefined {
  const commands = checkCommands(prompt);
  if (commands.length === 0) return undefined;
  const timeout = prompt.frontmatter.check_timeout ?? DEFAULT_CHECK_TIMEOUT;
  return sha256(canonicalJson({ commands, timeout, inputs: checkInputs }));
}
