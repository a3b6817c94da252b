import { rmSync } from "node:fs";
import path from "node:path";
import type { LockEntry } from "../lock/lockfile.js";
import { readdirIfExistsSync, readIfExistsSync, sha256, writeFileAtomic } from "../util/fs.js";
import { arePlainProjectPaths } from "../util/project-path.js";
import { validator } from "../util/schema.js";

export const ENTRIES_DIR = ".pc/entries";

/** Entries kept per prompt text: the same prompt built against this many different contexts. */
const KEEP = 8;

interface EntriesFile {
  prompt: string;
  /** Newest first. */
  entries: LockEntry[];
}

/**
 * The lock entries a prompt had, kept by the prompt file's exact bytes: when a prompt is reverted
 * to text that was built before, the entry recorded then says which inputs it read and which
 * request they made. If those inputs are unchanged, the request is known without parsing or
 * rendering the prompt (the planner checks it as it checks the current lock entry), and a build
 * restores the generation from the cache straight away. Like the generation store, this is an
 * optimisation: a missing or unreadable file only means the prompt is parsed and rendered.
 */
export class EarlierEntries {
  constructor(private readonly root: string) {}

  /** The file for one prompt text: the prompt's path and the hash of its bytes. */
  private file(prompt: string, promptHash: string): string {
    const key = sha256(`${prompt}\0${promptHash}`).slice("sha256:".length);
    return path.join(this.root, ENTRIES_DIR, key.slice(0, 2), `${key}.json`);
  }

  /** The entries recorded for this prompt text, newest first. */
  recall(prompt: string, promptHash: string): LockEntry[] {
    return read(this.file(prompt, promptHash), prompt)?.entries ?? [];
  }

  /** Keeps a recorded entry (replacing an older one with the same inputs); false when already known. */
  async remember(prompt: string, entry: LockEntry): Promise<boolean> {
    const promptHash = entry.inputs[prompt];
    if (!promptHash) return false;
    const file = this.file(prompt, promptHash);
    const known = read(file, prompt)?.entries ?? [];
    if (known[0] && sameRequest(known[0], entry)) return false;
    const entries = [entry, ...known.filter((e) => !sameInputs(e, entry))].slice(0, KEEP);
    await writeFileAtomic(file, `${JSON.stringify({ prompt, entries } satisfies EntriesFile)}\n`);
    return true;
  }

  /**
   * Drops the entries whose generations are gone (`kept` says which request hashes still have one):
   * recalling them would only lead to a render. Files left with no entry are removed.
   */
  async prune(kept: (requestHash: string) => boolean): Promise<void> {
    const base = path.join(this.root, ENTRIES_DIR);
    for (const shard of readdirIfExistsSync(base)) {
      for (const name of readdirIfExistsSync(path.join(base, shard))) {
        const file = path.join(base, shard, name);
        const stored = read(file);
        const entries = stored?.entries.filter((e) => kept(e.requestHash)) ?? [];
        if (stored && entries.length === stored.entries.length) continue;
        if (!stored || entries.length === 0) rmSync(file, { force: true });
        else
          await writeFileAtomic(file, `${JSON.stringify({ prompt: stored.prompt, entries } satisfies EntriesFile)}\n`);
      }
    }
  }
}

function read(file: string, prompt?: string): EntriesFile | undefined {
  try {
    const stored = JSON.parse(readIfExistsSync(file)?.toString("utf8") ?? "null") as EntriesFile | null;
    if (!stored || typeof stored.prompt !== "string" || !Array.isArray(stored.entries)) return undefined;
    if (prompt !== undefined && stored.prompt !== prompt) return undefined;
    return { prompt: stored.prompt, entries: stored.entries.filter(isEntry) };
  } catch {
    return undefined; // damaged: as if nothing were known
  }
}

/**
 * A lock entry as the lock's schema has it, with plain project paths (see isPlainProjectPath):
 * .pc/ is read back from disk and may come from elsewhere, and a recalled entry's pins go into the
 * lock. Anything else is ignored.
 */
function isEntry(e: LockEntry): boolean {
  if (typeof e !== "object" || e === null) return false;
  const validate = validator("lock");
  return (
    validate({ lockfileVersion: 1, prompts: { entry: e } }) &&
    typeof e.requestHash === "string" &&
    typeof e.protocol === "number" &&
    arePlainProjectPaths(e.inputs) &&
    arePlainProjectPaths(e.outputs) &&
    (e.sampling === undefined || typeof e.sampling === "object")
  );
}

function sameInputs(a: LockEntry, b: LockEntry): boolean {
  const keys = Object.keys(a.inputs);
  return keys.length === Object.keys(b.inputs).length && keys.every((k) => a.inputs[k] === b.inputs[k]);
}

function sameRequest(a: LockEntry, b: LockEntry): boolean {
  return (
    a.requestHash === b.requestHash && a.inputHash === b.inputHash && a.protocol === b.protocol && sameInputs(a, b)
  );
}
