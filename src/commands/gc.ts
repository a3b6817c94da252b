import { acquireBuildMutex } from "../execute/build-mutex.js";
import { EarlierEntries } from "../cache/entries.js";
import { GenerationStore, type StoredGeneration } from "../cache/store.js";
import { PcError } from "../util/errors.js";
import { readLock } from "../lock/lock-io.js";

export const DEFAULT_KEEP = 5;

export interface GcOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /**
   * Generations kept per prompt besides those the lock references, newest first (default 5).
   * 0 keeps only what the lock references.
   */
  keep?: number;
  /** Report what would be removed; remove nothing. */
  dryRun?: boolean;
}

export interface GcReport {
  dryRun: boolean;
  keep: number;
  /** Generations removed (or that would be), with their prompt and id. */
  removed: Array<{ prompt: string; id: string; file: string }>;
  /** Unreadable entries removed. */
  damaged: string[];
  freedBytes: number;
  kept: number;
  /** Of the kept generations, those the lock references (never removed). */
  referenced: number;
}

/**
 * Prunes the generation cache: per prompt, keeps the `keep` newest generations and every
 * generation the lock references (those under a request hash the lock records), and removes
 * the rest and any unreadable entry, and the earlier lock entries (see EarlierEntries) of the
 * requests left with no generation. Holds the build mutex, so no build writes meanwhile.
 */
export async function gc(options: GcOptions = {}): Promise<GcReport> {
  const root = options.cwd ?? process.cwd();
  const keep = options.keep ?? DEFAULT_KEEP;
  if (!Number.isInteger(keep) || keep < 0)
    throw new PcError("PC_USAGE", `keep must be a whole number >= 0, got ${keep}`);
  const dryRun = options.dryRun ?? false;
  const release = dryRun ? undefined : await acquireBuildMutex(root);
  try {
    // A lock that cannot be read is an error: without it, what it references is unknown.
    const { lock } = await readLock(root);
    const entries = Object.values(lock.prompts);
    const referencedRequests = new Set(entries.map((e) => e.requestHash).filter(Boolean));
    const referencedInputs = new Set(entries.filter((e) => !e.requestHash).map((e) => e.inputHash));
    const isReferenced = (s: StoredGeneration) =>
      referencedRequests.has(s.generation.requestHash) || referencedInputs.has(s.generation.inputHash);

    const store = new GenerationStore(root);
    const { entries: stored, damaged } = await store.scan();
    const report: GcReport = {
      dryRun,
      keep,
      removed: [],
      damaged: damaged.map((d) => d.file),
      freedBytes: 0,
      kept: 0,
      referenced: 0,
    };
    const keptPerPrompt = new Map<string, number>();
    const doomed: StoredGeneration[] = [];
    for (const s of stored) {
      const prompt = s.generation.prompt;
      if (isReferenced(s)) {
        report.kept++;
        report.referenced++;
      } else if ((keptPerPrompt.get(prompt) ?? 0) < keep) {
        keptPerPrompt.set(prompt, (keptPerPrompt.get(prompt) ?? 0) + 1);
        report.kept++;
      } else {
        doomed.push(s);
      }
    }
    for (const s of doomed) {
      report.removed.push({ prompt: s.generation.prompt, id: s.generation.id, file: s.file });
      report.freedBytes += s.bytes;
      if (!dryRun) await store.remove(s.file);
    }
    for (const d of damaged) {
      report.freedBytes += d.bytes;
      if (!dryRun) await store.remove(d.file);
    }
    // Earlier lock entries whose generation is gone cannot restore anything: they go too.
    const doomedIds = new Set(doomed.map((s) => s.generation.id));
    const left = new Set(stored.filter((s) => !doomedIds.has(s.generation.id)).map((s) => s.generation.requestHash));
    if (!dryRun) await new EarlierEntries(root).prune((requestHash) => left.has(requestHash));
    return report;
  } finally {
    await release?.();
  }
}
