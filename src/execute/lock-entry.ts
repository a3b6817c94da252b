import type { Generation } from "../cache/store.js";
import { GLOB_CHARS } from "../prompt/discover.js";
import type { CheckSummary, LockEntry, OutputSource } from "../lock/lockfile.js";
import { samplingOf } from "../plan/hash.js";
import type { HashedPrompt } from "../plan/project.js";
import { PROTOCOL_VERSION } from "../prompt/protocol.js";
import { lockedModelName } from "../util/model-path.js";
import { redactDeep } from "../util/redact.js";

type Pins = Pick<LockEntry, "version" | "model" | "seed" | "temperature" | "sampling" | "contextGlobs">;

/** What the prompt's text pins: from the parsed prompt, or from the earlier entry recalled for the same text. */
function pinsOf(loaded: HashedPrompt): Pins {
  const parsed = loaded.parsed;
  if (parsed === undefined) {
    // Only a recalled prompt is recorded unparsed; an unchanged one is parsed before it is built.
    const pins = loaded.stage === "recalled" ? loaded.recalled : loaded.entry;
    if (!pins) throw new Error(`${loaded.prompt}: neither parsed nor recorded`);
    const { version, model, seed, temperature, sampling, contextGlobs } = pins;
    return { version, model, seed, temperature, sampling: { ...sampling }, contextGlobs };
  }
  const fm = parsed.frontmatter;
  // Expanded again by the unchanged check to notice new matches: the check inputs' globs too.
  const globs = [...(fm.context ?? []), ...(fm.check_inputs ?? [])].filter((c) => GLOB_CHARS.test(c));
  return {
    version: fm.version,
    model: lockedModelName(fm.model), // an absolute gguf: path is recorded by its name: the lock holds no absolute path
    seed: fm.seed,
    temperature: fm.temperature,
    sampling: { ...samplingOf(parsed) },
    contextGlobs: globs.length ? globs : undefined,
  };
}

/** The lock entry that proves `outputs` came from this prompt's current inputs. */
export function lockEntryFor(
  loaded: HashedPrompt,
  outputs: Record<string, string>,
  source: OutputSource,
  generation?: Generation,
  checks?: CheckSummary,
): LockEntry {
  return {
    ...currentRequest(loaded),
    outputs,
    // A chat answer restored from the cache is still a chat answer: say so, not just "cache".
    source: generation?.source === "chat" ? "chat" : source,
    label: redactDeep(generation?.label),
    // Read back from the cache, or from a server: never trusted to hold no secret.
    engine: redactDeep(
      generation?.identity && {
        ...generation.identity,
        model: lockedModelName(String(generation.identity.model ?? "")) || undefined,
      },
    ),
    usage: generation?.usage,
    durationMs: generation?.durationMs,
    checks: checks && {
      hash: checks.hash,
      passed: checks.passed,
      durationMs: checks.durationMs,
      failure: checks.failure,
    },
  };
}

/**
 * The entry of a prompt whose recorded outputs are carried over to its current request (see
 * plan/carry-over.ts): same bytes, same provenance, the current pins and hashes.
 */
export function carriedEntry(loaded: HashedPrompt, entry: LockEntry): LockEntry {
  const engine = entry.engine ? { ...entry.engine } : undefined;
  // The embedded engine once recorded its sampler in the identity; the lock's sampling holds it now.
  if (engine?.engine === "embedded") for (const key of ["topK", "minP", "repeatPenalty"]) delete engine[key];
  return {
    ...currentRequest(loaded),
    outputs: entry.outputs,
    source: entry.source,
    label: entry.label,
    engine,
    usage: entry.usage,
    durationMs: entry.durationMs,
  };
}

/** What every entry takes from the prompt as it is now: its pins, the protocol, its hashes and inputs. */
function currentRequest(loaded: HashedPrompt) {
  return {
    ...pinsOf(loaded),
    protocol: PROTOCOL_VERSION,
    inputHash: loaded.hashes.inputHash,
    requestHash: loaded.hashes.requestHash,
    inputs: loaded.inputHashes,
  };
}
