/**
 * Entries recorded before pc pinned every sampler. Their request is not the one pc sends now, so
 * they are stale, with one reason. Where the recorded bytes are still what the user wants, a build
 * records them again under the current request without a model call: a chat answer or a hand edit
 * never came from the server's samplers, and the embedded engine always ran the neutral chain.
 */
import type { LockEntry } from "../lock/lockfile.js";
import { pinsEverySampler } from "./hash.js";
import type { LoadedPrompt } from "./project.js";

export const SAMPLERS_PINNED =
  "pc now pins the server's samplers (top_k, min_p, repeat_penalty ... were left to the server's defaults when this was recorded)";

/** The entry was recorded before every sampler was pinned. */
export function recordedBeforeSamplers(entry: LockEntry): boolean {
  return entry.requestHash !== undefined && !pinsEverySampler(entry.sampling);
}

/**
 * The lock entry differs from the prompt's current request only in the samplers pc sends, and its
 * bytes did not come from a server's sampler defaults: it can be carried over.
 */
export function canCarryOver(loaded: LoadedPrompt, entry: LockEntry | undefined): entry is LockEntry {
  if (!entry || entry.stale || !recordedBeforeSamplers(entry)) return false;
  // Hashes taken from a lock entry have no `beforeSamplers`: such a prompt is not carried over.
  if (entry.requestHash !== loaded.hashes?.beforeSamplers) return false;
  return entry.source === "chat" || entry.source === "hand" || entry.engine?.engine === "embedded";
}

/** Why a carried-over entry keeps its bytes, in the user's words. */
export function carryOverNote(entry: LockEntry): string {
  const what =
    entry.source === "chat"
      ? "a chat answer"
      : entry.source === "hand"
        ? "kept by hand"
        : "made by the embedded engine, which already ran the neutral samplers";
  return `pc build carries its outputs (${what}) over without a model call`;
}
