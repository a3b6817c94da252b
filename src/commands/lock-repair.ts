import { promises as fsp } from "node:fs";
import path from "node:path";
import { acquireBuildMutex } from "../execute/build-mutex.js";
import { lockEntryFor } from "../execute/lock-entry.js";
import { GenerationStore } from "../cache/store.js";
import { PcError, isPcError } from "../util/errors.js";
import { writeLock } from "../lock/lock-io.js";
import { LOCK_FILE, emptyLock, parseLock, type Lock, type LockEntry } from "../lock/lockfile.js";
import { salvageLock, type SalvagedLock } from "../lock/salvage.js";
import { loadProject, type Project, type LoadedPrompt } from "../plan/project.js";
import { isOrphan } from "../plan/states.js";
import { readIfExists, sha256 } from "../util/fs.js";
import { isPlainProjectPath } from "../util/project-path.js";
import { NOT_A_FILE } from "../plan/file-hashes.js";

export interface LockRepairOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** Write the repaired lock (default false: only report what a repair would change). */
  write?: boolean;
}

/**
 * What happened to one prompt's entry:
 * - `ok`: its outputs on disk match the lock.
 * - `missing`: an output is gone; the entry is kept (the next build regenerates it).
 * - `stale`: an output differs from its recorded hash; the hash on disk is recorded and the entry
 *   marked stale, so the next build regenerates it instead of refusing it as hand-edited.
 * - `recovered`: taken from a damaged lock or rebuilt from the generation cache (see `from`).
 * - `unverified`: taken from a damaged lock although its outputs differ from it: shown as drifted.
 * - `lost`: nothing could be recovered; `pc status` shows it as new or drifted.
 * - `orphaned`: its prompt is gone; kept as it was.
 */
export type RepairAction = "ok" | "missing" | "stale" | "recovered" | "unverified" | "lost" | "orphaned";

export interface RepairedPrompt {
  prompt: string;
  action: RepairAction;
  reasons: string[];
  /** Where a recovered entry came from. */
  from?: string;
}

export interface LockRepairReport {
  /** The lock could be parsed (its entries were re-checked), else it was rebuilt from what was recoverable. */
  readable: boolean;
  /** Why the lock could not be read (absent, truncated, conflict markers, invalid). */
  problem?: PcError;
  prompts: RepairedPrompt[];
  /** The repair changes the lock. */
  changed: boolean;
  /** The repaired lock was written. */
  written: boolean;
  /** Where the previous lock was copied before it was rewritten. */
  backup?: string;
}

/**
 * `pc lock --repair`: makes the lock tell the truth about the outputs on disk without any model
 * call. A readable lock has every output rehashed; mismatches are marked stale. A lock that cannot
 * be parsed is rebuilt from what can be recovered: the sides of a merge conflict or the complete
 * entries of a truncated file (each kept only where the outputs on disk match it), then the
 * generation cache. The previous file is copied to promptfile.lock.bak first.
 */
export async function repairLock(options: LockRepairOptions = {}): Promise<LockRepairReport> {
  const root = options.cwd ?? process.cwd();
  const release = options.write ? await acquireBuildMutex(root) : undefined;
  try {
    const text = (await readIfExists(path.join(root, LOCK_FILE)))?.toString("utf8");
    let lock: Lock | undefined;
    let problem: PcError | undefined;
    if (text === undefined) {
      problem = new PcError("PC_LOCK_INVALID", "does not exist", { file: LOCK_FILE });
    } else {
      try {
        lock = parseLock(text);
      } catch (error) {
        // A lock from a newer pc is not damaged: rebuilding it would drop what this pc cannot read.
        if (!isPcError(error) || error.code === "PC_LOCK_VERSION") throw error;
        problem = error;
      }
    }
    const result = lock ? await rehash(root, lock) : await recover(root, salvageLock(text ?? ""));
    const report: LockRepairReport = {
      readable: Boolean(lock),
      problem,
      prompts: result.prompts,
      changed: result.changed,
      written: false,
    };
    if (options.write && result.changed) {
      if (text !== undefined) report.backup = await backUp(root, text);
      report.written = await writeLock(root, result.lock, text);
    }
    return report;
  } finally {
    await release?.();
  }
}

interface Repaired {
  lock: Lock;
  prompts: RepairedPrompt[];
  changed: boolean;
}

async function rehash(root: string, lock: Lock): Promise<Repaired> {
  const project = await loadProject(root, { lock });
  const repaired: Lock = { ...lock, prompts: { ...lock.prompts } };
  const prompts: RepairedPrompt[] = [];
  let changed = false;
  for (const [prompt, entry] of Object.entries(lock.prompts).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const disk = await diskHashes(project, Object.keys(entry.outputs));
    const missing = Object.keys(entry.outputs).filter((o) => disk[o] === undefined);
    const differing = Object.keys(entry.outputs).filter((o) => disk[o] !== undefined && disk[o] !== entry.outputs[o]);
    const orphaned = isOrphan(project, prompt);
    if (differing.length > 0 && !orphaned) {
      const stale = `${differing.join(", ")} did not match the lock (pc lock --repair recorded it as found); the next build regenerates it`;
      repaired.prompts[prompt] = {
        ...entry,
        outputs: { ...entry.outputs, ...(pick(disk, differing) as Record<string, string>) },
        stale,
      };
      prompts.push({ prompt, action: "stale", reasons: differing.map((o) => `${o} differs from its recorded hash`) });
      changed = true;
    } else if (orphaned) {
      prompts.push({
        prompt,
        action: "orphaned",
        reasons: ["the prompt file is gone; `pc build` drops this entry (or restore the prompt)"],
      });
    } else if (missing.length > 0) {
      prompts.push({
        prompt,
        action: "missing",
        reasons: missing.map((o) => `${o} is missing; the next build regenerates it`),
      });
    } else if (entry.stale) {
      prompts.push({ prompt, action: "stale", reasons: [entry.stale] });
    } else {
      prompts.push({ prompt, action: "ok", reasons: [] });
    }
  }
  return { lock: repaired, prompts, changed };
}

async function recover(root: string, salvaged: SalvagedLock[]): Promise<Repaired> {
  const project = await loadProject(root, { lock: emptyLock(), renderAll: true });
  const store = new GenerationStore(root);
  const lock = emptyLock();
  const prompts: RepairedPrompt[] = [];
  const names = new Set([...project.prompts.keys(), ...salvaged.flatMap((s) => Object.keys(s.entries))]);
  for (const prompt of [...names].sort()) {
    const loaded = project.prompts.get(prompt);
    const candidates = salvaged.flatMap((s) => {
      const entry = s.entries[prompt];
      return entry ? [{ from: s.label, entry }] : [];
    });
    const outputs = loaded?.outputs.length ? loaded.outputs : Object.keys(candidates[0]?.entry.outputs ?? {});
    const disk = await diskHashes(project, outputs);
    const matches = candidates.filter((c) => sameOutputs(c.entry, outputs, disk));
    // Prefer the side recorded from the prompt as it is now (it is then fresh).
    const best = matches.find((c) => c.entry.inputHash === loaded?.hashes?.inputHash) ?? matches[0];
    if (best) {
      lock.prompts[prompt] = best.entry;
      prompts.push({
        prompt,
        action: loaded ? "recovered" : "orphaned",
        from: best.from,
        reasons: [`its outputs on disk match ${best.from}`],
      });
      continue;
    }
    const cached = loaded ? await fromCache(store, loaded, disk) : undefined;
    if (cached) {
      lock.prompts[prompt] = cached;
      prompts.push({
        prompt,
        action: "recovered",
        from: "the generation cache",
        reasons: ["its outputs on disk are a cached generation of the prompt as it is now"],
      });
      continue;
    }
    const kept = candidates.at(0);
    if (kept && loaded) {
      // Kept so the history is not lost; the outputs differ from it, so status shows them as drifted (a hand edit is data).
      lock.prompts[prompt] = kept.entry;
      const gone = outputs.every((o) => disk[o] === undefined);
      prompts.push({
        prompt,
        action: gone ? "missing" : "unverified",
        from: kept.from,
        reasons: gone
          ? ["its outputs are missing; the next build regenerates them"]
          : ["its outputs on disk match no record: pc status shows them as drifted"],
      });
      continue;
    }
    if (loaded) {
      const exists = outputs.some((o) => disk[o] !== undefined);
      prompts.push({
        prompt,
        action: "lost",
        reasons: [
          exists
            ? "no record of how its outputs were made: pc status shows them as drifted"
            : "no record and no output: pc build generates it",
        ],
      });
    }
  }
  return { lock, prompts, changed: true };
}

/** A lock entry for outputs that are exactly a cached generation of the prompt's current request. */
async function fromCache(
  store: GenerationStore,
  loaded: LoadedPrompt,
  disk: Record<string, string | undefined>,
): Promise<LockEntry | undefined> {
  if (loaded.stage !== "rendered" || loaded.outputs.some((o) => disk[o] === undefined)) return undefined;
  for (const generation of await store.list(loaded.hashes.requestHash)) {
    if (
      loaded.outputs.every((o) => {
        const text: string | undefined = generation.outputs[o];
        return text !== undefined && sha256(text) === disk[o];
      })
    ) {
      return lockEntryFor(loaded, pick(disk, loaded.outputs) as Record<string, string>, generation.source, generation);
    }
  }
  return undefined;
}

function sameOutputs(entry: LockEntry, outputs: string[], disk: Record<string, string | undefined>): boolean {
  const recorded = Object.keys(entry.outputs);
  return (
    recorded.length === outputs.length && outputs.every((o) => disk[o] !== undefined && entry.outputs[o] === disk[o])
  );
}

/**
 * The hashes of outputs on disk. The paths come from the lock being repaired (or its salvaged
 * entries): one that is no plain project path, or leads out of the project, is never read and
 * counts as missing.
 */
async function diskHashes(project: Project, outputs: string[]): Promise<Record<string, string | undefined>> {
  const hashes: Record<string, string | undefined> = {};
  for (const o of outputs) {
    const hash = isPlainProjectPath(o) ? await project.files.hash(o) : undefined;
    hashes[o] = hash === NOT_A_FILE ? undefined : hash;
  }
  return hashes;
}

function pick<T>(record: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.map((k) => [k, record[k]]));
}

/** Copies the lock to promptfile.lock.bak (or .bak.1, .bak.2, ... : an earlier backup is never overwritten). */
async function backUp(root: string, text: string): Promise<string> {
  for (let n = 0; ; n++) {
    const name = n === 0 ? `${LOCK_FILE}.bak` : `${LOCK_FILE}.bak.${n}`;
    try {
      await fsp.writeFile(path.join(root, name), text, { flag: "wx" });
      return name;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}
