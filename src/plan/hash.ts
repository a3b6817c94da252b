import { SAMPLER_NAMES, samplerFrom, type Sampler, type Think } from "../engine/samplers.js";
import type { ChatMessage } from "../engine/types.js";
import type { ParsedPrompt } from "../prompt/frontmatter.js";
import { PROTOCOL_VERSION } from "../prompt/protocol.js";
import { sha256 } from "../util/fs.js";

/**
 * Everything that decides how the engine samples besides seed and temperature: the whole sampler
 * chain (pinned or neutral, see engine/samplers.ts), the answer's limits, the think pin.
 */
export interface Sampling extends Sampler {
  max_tokens?: number;
  stop?: string[];
  think?: Think;
  num_ctx?: number;
}

export function samplingOf(prompt: ParsedPrompt): Sampling {
  const fm = prompt.frontmatter;
  const sampling: Sampling = samplerFrom(fm);
  if (fm.max_tokens !== undefined) sampling.max_tokens = fm.max_tokens;
  if (fm.stop !== undefined) sampling.stop = typeof fm.stop === "string" ? [fm.stop] : fm.stop;
  if (fm.think !== undefined) sampling.think = fm.think;
  if (fm.num_ctx !== undefined) sampling.num_ctx = fm.num_ctx;
  return sampling;
}

/**
 * Whether a recorded entry's sampling is the whole chain as pc pins it now. Entries from before pc
 * pinned every sampler hold only the few sent then (top_p, top_k ...): they left the rest to the
 * server, so their request is not the one pc sends now.
 */
export function pinsEverySampler(sampling: Record<string, unknown> | undefined): boolean {
  return sampling !== undefined && SAMPLER_NAMES.every((name) => typeof sampling[name] === "number");
}

/** JSON with object keys sorted, so hashes do not depend on key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, v[k]]),
        )
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
  /**
   * The request hash pc recorded for the same prompt before it pinned every sampler: a lock entry
   * with it differs from the current request only in the samplers sent (see carry-over.ts).
   */
  beforeSamplers?: string;
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
  const request = (sampling: unknown) =>
    sha256(
      canonicalJson({
        protocol: PROTOCOL_VERSION,
        messages,
        model: fm.model,
        modelFile: modelFileHash,
        seed: fm.seed,
        temperature: fm.temperature,
        sampling,
        version: fm.version,
      }),
    );
  const requestHash = request(samplingOf(prompt));
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
  const beforeSamplers = request(samplingBeforePins(prompt));
  return checks === undefined
    ? { requestHash, inputHash, beforeSamplers }
    : { requestHash, inputHash, checksHash: checks, beforeSamplers };
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

/** The sampling pc hashed before it pinned every sampler: top_p always, top_k, max_tokens and stop when pinned. */
function samplingBeforePins(prompt: ParsedPrompt): Record<string, unknown> {
  const fm = prompt.frontmatter;
  const sampling: Record<string, unknown> = { top_p: fm.top_p ?? 1 };
  if (fm.top_k !== undefined) sampling.top_k = fm.top_k;
  if (fm.max_tokens !== undefined) sampling.max_tokens = fm.max_tokens;
  if (fm.stop !== undefined) sampling.stop = typeof fm.stop === "string" ? [fm.stop] : fm.stop;
  return sampling;
}
