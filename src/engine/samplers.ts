/**
 * The sampler chain pc pins in every request. A server's defaults (llama-server flags, an Ollama
 * Modelfile, a vLLM generation config) must never decide the bytes, so every sampler an engine
 * honours is sent: the prompt's pin where it has one, else the neutral value below (the sampler
 * then does nothing). Names are llama.cpp's, as in the frontmatter and the lock.
 */
import { PcError } from "../util/errors.js";

/** Every sampler besides seed and temperature, with the value that switches it off. */
export const NEUTRAL_SAMPLER = {
  top_p: 1,
  top_k: 0,
  min_p: 0,
  typical_p: 1,
  repeat_penalty: 1,
  repeat_last_n: 64,
  presence_penalty: 0,
  frequency_penalty: 0,
  mirostat: 0,
  mirostat_tau: 5,
  mirostat_eta: 0.1,
  dry_multiplier: 0,
  dry_base: 1.75,
  dry_allowed_length: 2,
  dry_penalty_last_n: 64,
  xtc_probability: 0,
  xtc_threshold: 0.1,
  top_n_sigma: -1,
  dynatemp_range: 0,
  dynatemp_exponent: 1,
} as const;

export type SamplerName = keyof typeof NEUTRAL_SAMPLER;
export type Sampler = { [K in SamplerName]: number };
export const SAMPLER_NAMES = Object.keys(NEUTRAL_SAMPLER) as SamplerName[];

/** The samplers a prompt may pin in its frontmatter (the rest stay neutral). */
export const PINNABLE_SAMPLERS: readonly SamplerName[] = [
  "top_p",
  "top_k",
  "min_p",
  "typical_p",
  "repeat_penalty",
  "repeat_last_n",
  "presence_penalty",
  "frequency_penalty",
  "mirostat",
  "mirostat_tau",
  "mirostat_eta",
  "dry_multiplier",
  "xtc_probability",
  "xtc_threshold",
  "top_n_sigma",
];

/** Reasoning on or off, or an effort level for models that have one. */
export type Think = boolean | "low" | "medium" | "high";

/** llama.cpp's default order; sent so a server started with --samplers cannot reorder the chain. */
export const LLAMA_SAMPLER_ORDER = [
  "penalties",
  "dry",
  "top_n_sigma",
  "top_k",
  "typ_p",
  "top_p",
  "min_p",
  "xtc",
  "temperature",
];

/** What a server speaks beyond the OpenAI chat API, found once per build (see dialect.ts). */
export type Dialect = "llama-server" | "ollama" | "vllm" | "openai";

export const DIALECT_NAMES: Record<Dialect, string> = {
  "llama-server": "llama-server",
  ollama: "Ollama",
  vllm: "vLLM",
  openai: "this OpenAI-compatible server",
};

/** The samplers each dialect can set per request; a sampler missing here is left to the server. */
const HONOURED: Record<Dialect, ReadonlySet<SamplerName>> = {
  "llama-server": new Set(SAMPLER_NAMES),
  ollama: new Set<SamplerName>([
    "top_p",
    "top_k",
    "min_p",
    "typical_p",
    "repeat_penalty",
    "repeat_last_n",
    "presence_penalty",
    "frequency_penalty",
    "mirostat",
    "mirostat_tau",
    "mirostat_eta",
  ]),
  vllm: new Set<SamplerName>(["top_p", "top_k", "min_p", "repeat_penalty", "presence_penalty", "frequency_penalty"]),
  openai: new Set<SamplerName>(["top_p", "presence_penalty", "frequency_penalty"]),
};

/** Samplers whose neutral value a dialect cannot send: the server's own default decides them. */
export function unpinnedBy(dialect: Dialect): SamplerName[] {
  return SAMPLER_NAMES.filter((name) => !HONOURED[dialect].has(name) && !followsOther(dialect, name));
}

/** Settings of a sampler that is off in every dialect that cannot send them (they only tune it). */
function followsOther(dialect: Dialect, name: SamplerName): boolean {
  if (dialect === "vllm" && name === "repeat_last_n") return true; // vLLM penalizes the whole text
  return false;
}

/** The pinned samplers a dialect cannot send: an error, since the server would silently ignore them. */
export function checkHonoured(dialect: Dialect, sampler: Sampler, think: Think | undefined, prompt: string): void {
  const ignored = SAMPLER_NAMES.filter(
    (name) => sampler[name] !== NEUTRAL_SAMPLER[name] && !HONOURED[dialect].has(name) && !tunesOff(sampler, name),
  );
  if (dialect === "openai" && typeof think === "boolean") ignored.push("think" as SamplerName);
  if (ignored.length === 0) return;
  throw new PcError(
    "PC_SAMPLER_UNSUPPORTED",
    `pins ${ignored.join(", ")}, which ${DIALECT_NAMES[dialect]} cannot set per request`,
    {
      file: prompt,
      key: ignored[0],
      hint: `Remove the pin (the neutral value is used), or serve the model with llama-server, which honours every sampler pc pins (see docs/samplers.md).`,
    },
  );
}

/** A sampler's tuning value pinned while the sampler itself is off changes nothing. */
function tunesOff(sampler: Sampler, name: SamplerName): boolean {
  if (name === "repeat_last_n")
    return sampler.repeat_penalty === 1 && sampler.presence_penalty === 0 && sampler.frequency_penalty === 0;
  if (name === "mirostat_tau" || name === "mirostat_eta") return sampler.mirostat === 0;
  if (name === "xtc_threshold") return sampler.xtc_probability === 0;
  if (name.startsWith("dry_") && name !== "dry_multiplier") return sampler.dry_multiplier === 0;
  if (name === "dynatemp_exponent") return sampler.dynatemp_range === 0;
  return false;
}

/**
 * top_k "off" as llama-server must be told it. Its top_k 0 skips the stage and leaves the tokens in
 * vocabulary order, while the embedded engine (node-llama-cpp) runs top_k over the whole vocabulary,
 * which sorts them; the final random pick walks that order, so the same seed picks another token.
 * A top_k past the vocabulary keeps every token and sorts them, as the embedded engine does: the
 * two then give the same bytes.
 */
export const EVERY_TOKEN = 2147483647;

/** llama-server's extra fields (POST /v1/chat/completions accepts all of /props' generation settings). */
export function llamaServerFields(sampler: Sampler, think: Think | undefined): Record<string, unknown> {
  return {
    ...sampler,
    top_k: sampler.top_k <= 0 ? EVERY_TOKEN : sampler.top_k,
    samplers: LLAMA_SAMPLER_ORDER,
    // Not pinnable, but a server flag could switch them on: adaptive-p off, no minimum kept.
    adaptive_target: -1,
    min_keep: 0,
    ignore_eos: false,
    // Prompt caching reuses another request's state, which changes results for a fixed seed.
    cache_prompt: false,
    ...thinkKwargs(think),
  };
}

/** vLLM's extra sampling parameters (its names: repetition_penalty; -1 switches top_k off). */
export function vllmFields(sampler: Sampler, think: Think | undefined): Record<string, unknown> {
  return {
    top_p: sampler.top_p,
    top_k: sampler.top_k <= 0 ? -1 : sampler.top_k,
    min_p: sampler.min_p,
    repetition_penalty: sampler.repeat_penalty,
    presence_penalty: sampler.presence_penalty,
    frequency_penalty: sampler.frequency_penalty,
    ...thinkKwargs(think),
    ...(typeof think === "string" ? { reasoning_effort: think } : {}),
  };
}

/** The OpenAI standard set: all a plain OpenAI-compatible server is sure to accept. */
export function openaiFields(sampler: Sampler, think: Think | undefined): Record<string, unknown> {
  return {
    top_p: sampler.top_p,
    presence_penalty: sampler.presence_penalty,
    frequency_penalty: sampler.frequency_penalty,
    ...(typeof think === "string" ? { reasoning_effort: think } : {}),
  };
}

/** Ollama's `options` of POST /api/chat (its OpenAI-compatible endpoint ignores most of them). */
export function ollamaOptions(sampler: Sampler): Record<string, number> {
  const options: Record<string, number> = {};
  for (const name of HONOURED.ollama) options[name] = sampler[name];
  return options;
}

/** `chat_template_kwargs` for llama-server and vLLM: Qwen3-style templates read enable_thinking. */
function thinkKwargs(think: Think | undefined): Record<string, unknown> {
  if (think === undefined) return {};
  const kwargs: Record<string, unknown> = { enable_thinking: think !== false };
  if (typeof think === "string") kwargs.reasoning_effort = think;
  return { chat_template_kwargs: kwargs };
}

/** The samplers that differ from neutral, as `name=value`, for messages. */
export function describePins(sampler: Partial<Sampler>): string {
  const pinned = SAMPLER_NAMES.filter((n) => sampler[n] !== undefined && sampler[n] !== NEUTRAL_SAMPLER[n]);
  return pinned.length ? pinned.map((n) => `${n}=${sampler[n]}`).join(", ") : "all neutral";
}

/** The full sampler from a prompt's pins: neutral where nothing is pinned. */
export function samplerFrom(pins: Partial<Record<SamplerName, number>>): Sampler {
  const sampler = { ...NEUTRAL_SAMPLER } as Sampler;
  for (const name of SAMPLER_NAMES) {
    const value = pins[name];
    if (value !== undefined) sampler[name] = value;
  }
  return sampler;
}

/** What node-llama-cpp's sampler chain has no stage for. */
const EMBEDDED_HONOURED = new Set<SamplerName>([
  "top_p",
  "top_k",
  "min_p",
  "repeat_penalty",
  "repeat_last_n",
  "presence_penalty",
  "frequency_penalty",
  "dry_multiplier",
  "dry_base",
  "dry_allowed_length",
  "dry_penalty_last_n",
  "xtc_probability",
  "xtc_threshold",
]);

/** The embedded engine's (node-llama-cpp's) sampler options; a pin it has no stage for is an error. */
export function embeddedSamplerOptions(sampler: Sampler, prompt: string): Record<string, unknown> {
  const ignored = SAMPLER_NAMES.filter(
    (name) => sampler[name] !== NEUTRAL_SAMPLER[name] && !EMBEDDED_HONOURED.has(name) && !tunesOff(sampler, name),
  );
  if (ignored.length > 0) {
    throw new PcError(
      "PC_SAMPLER_UNSUPPORTED",
      `pins ${ignored.join(", ")}, which the embedded engine (node-llama-cpp) has no sampler for`,
      {
        file: prompt,
        key: ignored[0],
        hint: "Remove the pin (the neutral value is used), or serve the model with llama-server (see docs/samplers.md).",
      },
    );
  }
  const penalized = sampler.repeat_penalty !== 1 || sampler.presence_penalty !== 0 || sampler.frequency_penalty !== 0;
  return {
    topP: sampler.top_p,
    topK: sampler.top_k, // 0: no cut (node-llama-cpp would default to 40)
    minP: sampler.min_p,
    repeatPenalty: penalized
      ? {
          penalty: sampler.repeat_penalty,
          presencePenalty: sampler.presence_penalty,
          frequencyPenalty: sampler.frequency_penalty,
          lastTokens: sampler.repeat_last_n,
          penalizeNewLine: true,
        }
      : false,
    ...(sampler.xtc_probability > 0
      ? { xtc: { probability: sampler.xtc_probability, threshold: sampler.xtc_threshold } }
      : {}),
    ...(sampler.dry_multiplier > 0
      ? {
          dryRepeatPenalty: {
            strength: sampler.dry_multiplier,
            base: sampler.dry_base,
            allowedLength: sampler.dry_allowed_length,
            lastTokens: sampler.dry_penalty_last_n < 0 ? null : sampler.dry_penalty_last_n,
          },
        }
      : {}),
  };
}
