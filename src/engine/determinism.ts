/**
 * Why a regenerated answer may differ from the recorded one: what changed in the engine's
 * identity, what a server reports about itself, and what commonly breaks determinism.
 */
import { detectDialect } from "./dialect.js";
import { NEUTRAL_SAMPLER, SAMPLER_NAMES, unpinnedBy, type Dialect, type SamplerName } from "./samplers.js";
import type { EngineKind } from "./engine-factory.js";
import type { ModelIdentity } from "./types.js";

/** Identity fields that never change the bytes (the thread count only changes the speed). */
const NO_EFFECT = new Set(["threads"]);

/** The identity fields that differ between the lock and the regeneration, as `key: "old" -> "new"`. */
export function identityChanges(recorded: ModelIdentity | undefined, current: ModelIdentity): string[] {
  if (!recorded) return [];
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(current)])].sort();
  return keys
    .filter((key) => !NO_EFFECT.has(key) && recorded[key] !== current[key])
    .map(
      (key) => `${key}: ${JSON.stringify(recorded[key]) ?? "(none)"} -> ${JSON.stringify(current[key]) ?? "(none)"}`,
    );
}

/** What a llama-server says about itself in /props (other servers report nothing). */
export interface ServerReport {
  /** Parallel slots (`--parallel`). */
  totalSlots?: number;
  /** The server's default for cache_prompt (pc sends `cache_prompt: false` with every request). */
  cachePrompt?: boolean;
  buildInfo?: string;
  /** The model's file name (no folders: never recorded or shown as an absolute path). */
  modelFile?: string;
  /** Which server it is, as a build finds it. */
  dialect?: Dialect;
  /** The server's own sampler defaults that are not neutral (llama-server /props), as `name=value`. */
  samplerDefaults?: string[];
}

/** What the server says about itself (llama-server /props); undefined when it cannot be reached. */
export async function probeServer(baseURL: string, apiKey?: string): Promise<ServerReport | undefined> {
  try {
    const { dialect, props } = await detectDialect(baseURL, apiKey);
    if (!props) return { dialect };
    const settings = (props.default_generation_settings ?? {}) as Record<string, unknown>;
    const params = (settings.params ?? {}) as Record<string, unknown>;
    return {
      dialect,
      totalSlots: typeof props.total_slots === "number" ? props.total_slots : undefined,
      cachePrompt: typeof settings.cache_prompt === "boolean" ? settings.cache_prompt : undefined,
      buildInfo: typeof props.build_info === "string" ? props.build_info : undefined,
      modelFile: typeof props.model_path === "string" ? props.model_path.split(/[\\/]/).pop() : undefined,
      samplerDefaults: nonNeutralDefaults(params),
    };
  } catch {
    return undefined;
  }
}

/** The server's default samplers that would change an answer if a request left them out. */
export function nonNeutralDefaults(params: Record<string, unknown>): string[] {
  return SAMPLER_NAMES.filter(
    (name) =>
      typeof params[name] === "number" &&
      Math.abs((params[name] as number) - NEUTRAL_SAMPLER[name]) > 1e-6 &&
      !offAnyway(name, params),
  ).map((name) => `${name}=${Math.round((params[name] as number) * 1000) / 1000}`);
}

/** Settings of a sampler the server has switched off, which change nothing. */
function offAnyway(name: SamplerName, params: Record<string, unknown>): boolean {
  if (name === "repeat_last_n")
    return params.repeat_penalty === 1 && params.presence_penalty === 0 && params.frequency_penalty === 0;
  if (name.startsWith("dry_") && name !== "dry_multiplier") return params.dry_multiplier === 0;
  if (name === "xtc_threshold") return params.xtc_probability === 0;
  if (name === "mirostat_tau" || name === "mirostat_eta") return params.mirostat === 0;
  if (name === "dynatemp_exponent") return params.dynatemp_range === 0;
  return false;
}

/** Explains a difference to the user: the likely causes first, then the general ones. */
export function determinismHints(kind: EngineKind, changes: string[], server?: ServerReport): string[] {
  const hints: string[] = [];
  if (changes.length > 0) hints.push(`The engine is not the one that made the lock: ${changes.join("; ")}.`);
  if (kind === "embedded") {
    if (changes.length === 0) {
      hints.push(
        "The embedded engine runs on the CPU, one sequence, with a fixed seed: the same model file and llama.cpp build give the same bytes. " +
          "With an unchanged engine, the recorded output or the lock was most likely edited by hand.",
      );
    }
    return hints;
  }
  if (server?.totalSlots !== undefined && server.totalSlots > 1) {
    hints.push(
      `The server runs ${server.totalSlots} parallel slots (/props total_slots): requests batched together are computed differently. Restart llama-server with --parallel 1 and build with -j 1.`,
    );
  }
  if (server?.dialect === "openai") {
    hints.push(
      `This server takes only the standard OpenAI sampling fields: ${unpinnedBy("openai").slice(0, 6).join(", ")} ... are its own defaults, which its configuration or an upgrade changes. ` +
        "Serve the model with llama-server, Ollama or vLLM, whose samplers pc pins in every request.",
    );
  } else if (server?.samplerDefaults?.length) {
    hints.push(
      `pc sends every sampler with each request, overriding the server's defaults (${server.samplerDefaults.join(", ")}); ` +
        "a proxy between pc and the server that drops request fields would let those defaults decide the answer.",
    );
  }
  if (server?.cachePrompt) {
    hints.push(
      "The server caches prompts by default (/props cache_prompt: true). pc sends cache_prompt: false with every request; a proxy that drops it lets a cached prefix change the answer.",
    );
  }
  hints.push(
    "What commonly breaks determinism on a server: parallel slots (llama-server --parallel, OLLAMA_NUM_PARALLEL) and continuous batching; " +
      "prompt caching; a different model file or quantization under the same name; GPU nondeterminism (another GPU, driver or number of offloaded layers). " +
      "The embedded engine (model: gguf:<file>) runs on the CPU and is byte-reproducible.",
  );
  return hints;
}
