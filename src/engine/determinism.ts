/**
 * Why a regenerated answer may differ from the recorded one: what changed in the engine's
 * identity, what a server reports about itself, and what commonly breaks determinism.
 */
import type { EngineKind } from "./select.js";
import type { ModelIdentity } from "./types.js";

/** Identity fields that never change the bytes (the thread count only changes the speed). */
const NO_EFFECT = new Set(["threads"]);

/** The identity fields that differ between the lock and the regeneration, as `key: "old" -> "new"`. */
export function identityChanges(recorded: ModelIdentity | undefined, current: ModelIdentity): string[] {
  if (!recorded) return [];
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(current)])].sort();
  return keys
    .filter((key) => !NO_EFFECT.has(key) && recorded[key] !== current[key])
    .map((key) => `${key}: ${JSON.stringify(recorded[key]) ?? "(none)"} -> ${JSON.stringify(current[key]) ?? "(none)"}`);
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
}

/** Reads llama-server's /props; undefined when the server has none (Ollama, vLLM) or is unreachable. */
export async function probeServer(baseURL: string, apiKey?: string): Promise<ServerReport | undefined> {
  const origin = baseURL.replace(/\/+$/, "").replace(/\/v1$/, "");
  try {
    const response = await fetch(`${origin}/props`, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(2000),
    });
    if (!response.ok) return undefined;
    const props = (await response.json()) as Record<string, unknown>;
    const settings = (props.default_generation_settings ?? {}) as Record<string, unknown>;
    return {
      totalSlots: typeof props.total_slots === "number" ? props.total_slots : undefined,
      cachePrompt: typeof settings.cache_prompt === "boolean" ? settings.cache_prompt : undefined,
      buildInfo: typeof props.build_info === "string" ? props.build_info : undefined,
      modelFile: typeof props.model_path === "string" ? props.model_path.split(/[\\/]/).pop() : undefined,
    };
  } catch {
    return undefined;
  }
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
    hints.push(`The server runs ${server.totalSlots} parallel slots (/props total_slots): requests batched together are computed differently. Restart llama-server with --parallel 1 and build with -j 1.`);
  }
  if (server?.cachePrompt) {
    hints.push("The server caches prompts by default (/props cache_prompt: true). pc sends cache_prompt: false with every request; a proxy that drops it lets a cached prefix change the answer.");
  }
  hints.push(
    "What commonly breaks determinism on a server: parallel slots (llama-server --parallel, OLLAMA_NUM_PARALLEL) and continuous batching; " +
      "prompt caching; a different model file or quantization under the same name; GPU nondeterminism (another GPU, driver or number of offloaded layers). " +
      "The embedded engine (model: gguf:<file>) runs on the CPU and is byte-reproducible.",
  );
  return hints;
}
