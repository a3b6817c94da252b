import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import type { ModelIdentity } from "../engine/types.js";
import type { OutputSource } from "../lock/lockfile.js";
import { readdirIfExistsSync, readIfExistsSync, toPosix, writeFileAtomic } from "../util/fs.js";
import { redact, redactDeep } from "../util/redact.js";
import { PcError, isWriteTrouble, writeFailure } from "../util/errors.js";

/**
 * Where a generation's bytes came from: `llm` a model call (pc build, pc diff), `chat` an answer
 * pasted from a chat UI (pc accept), `hand` outputs edited by hand and adopted (pc accept).
 */
export type GenerationSource = Exclude<OutputSource, "cache">;

/** One generation: the raw answer, the bytes written from it, and how it was made. */
export interface Generation {
  id: string;
  prompt: string;
  /** ISO time the answer was received (or accepted). */
  createdAt: string;
  /** The cache key: everything the engine was asked (see plan/hash.ts). */
  requestHash: string;
  /** The lock's input hash at the time (request + post-processing settings). */
  inputHash: string;
  model: string;
  seed: number;
  temperature: number;
  source: GenerationSource;
  /** For `chat`: the label given to `pc accept --model`. */
  label?: string;
  /**
   * The answer as received, before extraction and formatting; a restore post-processes it again.
   * For `hand` there is no answer: `outputs` are the data and are restored as they are.
   */
  raw: string;
  /** path -> the exact bytes written (after extraction and formatting). */
  outputs: Record<string, string>;
  identity?: ModelIdentity;
  usage?: { promptTokens: number; completionTokens: number };
  durationMs?: number;
  /** The verdict of the prompt's checks on these bytes, under the checks it was made with. */
  checks?: CheckVerdict;
}

/** What a prompt's checks said of a generation's bytes. */
export interface CheckVerdict {
  /** The checks' hash (commands, timeout, input bytes) the verdict holds for; see plan/hash.ts. */
  hash: string;
  /** The checked bytes: sha256 over the outputs, path by path. */
  outputs: string;
  passed: boolean;
  durationMs: number;
  /** Why the checks failed: the failing command and the line that says why. */
  failure?: string;
  /** A check ran out of time (such a verdict is not reused). */
  timedOut?: boolean;
}

/** A generation as stored: its file, and that file's size. */
export interface StoredGeneration {
  /** Project-relative posix path of the entry. */
  file: string;
  bytes: number;
  generation: Generation;
}

/** An entry that cannot be read back (truncated or edited JSON): gc removes it. */
export interface DamagedEntry {
  file: string;
  bytes: number;
}

export const CACHE_DIR = ".pc/generations";

function hex(hash: string): string {
  return hash.replace(/^sha256:/, "");
}

/**
 * The content-addressed generation store under .pc/: one folder per request hash, one JSON file
 * per generation. Several generations may share a key; the newest wins on restore.
 */
export class GenerationStore {
  constructor(private readonly root: string) {}

  private dir(requestHash: string): string {
    return path.join(this.root, CACHE_DIR, hex(requestHash).slice(0, 2), hex(requestHash));
  }

  static newId(requestHash: string, createdAt: string, raw: string): string {
    return createHash("sha256").update(`${requestHash}\n${createdAt}\n${raw}`).digest("hex").slice(0, 12);
  }

  async save(generation: Generation): Promise<void> {
    const file = path.join(this.dir(generation.requestHash), `${generation.id}.json`);
    // What the engine reported is redacted; the answer and outputs hold no secret (postProcess refuses one).
    const stored = { ...generation, identity: redactDeep(generation.identity), label: redactDeep(generation.label) };
    try {
      await writeFileAtomic(file, `${JSON.stringify(stored, null, 2)}\n`);
    } catch (error) {
      if (!isWriteTrouble(error)) throw error;
      throw writeFailure("cannot keep the answer in the generation cache (.pc/generations)", error, {
        file: generation.prompt,
        unchanged: "Nothing was written for this prompt; its outputs and lock entry are as they were.",
      });
    }
  }

  /**
   * Every generation stored under one request hash, newest first. Read synchronously: a build
   * looks up every prompt it would generate, one lookup at a time (see build.ts), and a few small
   * files are read faster than they make thread-pool round trips.
   */
  async list(requestHash: string): Promise<Generation[]> {
    const dir = this.dir(requestHash);
    const names = readdirIfExistsSync(dir);
    const generations: Generation[] = [];
    for (const name of names.filter((n) => n.endsWith(".json"))) {
      const generation = parseEntry(readEntry(path.join(dir, name)));
      // A damaged cache entry is skipped: the cache is an optimisation, never the source of truth.
      if (generation) generations.push(generation);
    }
    return generations.sort(newestFirst);
  }

  async newest(requestHash: string): Promise<Generation | undefined> {
    return (await this.list(requestHash))[0];
  }

  /** Every entry in the store, newest first, and the entries that cannot be read. */
  async scan(): Promise<{ entries: StoredGeneration[]; damaged: DamagedEntry[] }> {
    const entries: StoredGeneration[] = [];
    const damaged: DamagedEntry[] = [];
    const base = path.join(this.root, CACHE_DIR);
    for (const shard of readdirIfExistsSync(base)) {
      for (const key of readdirIfExistsSync(path.join(base, shard))) {
        const dir = path.join(base, shard, key);
        for (const name of readdirIfExistsSync(dir)) {
          if (!name.endsWith(".json")) continue;
          const absolute = path.join(dir, name);
          const bytes = readEntry(absolute);
          if (!bytes) continue;
          const file = toPosix(path.relative(this.root, absolute));
          const generation = parseEntry(bytes);
          if (generation) entries.push({ file, bytes: bytes.length, generation });
          else damaged.push({ file, bytes: bytes.length });
        }
      }
    }
    entries.sort((a, b) => newestFirst(a.generation, b.generation));
    return { entries, damaged };
  }

  /** The generations of one prompt (under any request hash), newest first. */
  async forPrompt(prompt: string): Promise<Generation[]> {
    return (await this.scan()).entries.map((e) => e.generation).filter((g) => g.prompt === prompt);
  }

  /** Removes one stored entry (a project-relative path from `scan`). */
  async remove(file: string): Promise<void> {
    const absolute = path.join(this.root, file);
    await fsp.rm(absolute, { force: true });
    // Empty key and shard folders go too, so the store does not fill up with empty folders.
    for (let dir = path.dirname(absolute); dir !== path.join(this.root, CACHE_DIR); dir = path.dirname(dir)) {
      try {
        await fsp.rmdir(dir);
      } catch {
        break; // not empty (or already gone)
      }
    }
  }

  /** Keeps a failed answer for inspection; returns its project-relative path. */
  async keepFailedAnswer(prompt: string, raw: string): Promise<string> {
    const relative = `.pc/failed/${prompt.replace(/[\\/]/g, "__")}.txt`;
    await writeFileAtomic(path.join(this.root, relative), redact(raw));
    return relative;
  }
}

export function newestFirst(a: Generation, b: Generation): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1;
}

/** An entry's bytes; a folder, fifo or device in the store reads as a damaged (empty) entry. */
function readEntry(file: string): Buffer | undefined {
  try {
    return readIfExistsSync(file);
  } catch (error) {
    if (error instanceof PcError) return Buffer.alloc(0);
    throw error;
  }
}

/**
 * A stored generation, checked field by field: the store is read back from disk and may come from
 * another branch or a CI cache. What a lock entry takes from it (model, pins, identity, usage) has
 * the lock's types, so a bad entry can never make the lock invalid.
 */
function parseEntry(bytes: Buffer | undefined): Generation | undefined {
  if (!bytes) return undefined;
  try {
    const g = JSON.parse(bytes.toString("utf8")) as Generation;
    const text = (v: unknown) => typeof v === "string";
    const object = (v: unknown) => v === undefined || (typeof v === "object" && v !== null && !Array.isArray(v));
    const valid =
      text(g?.id) &&
      text(g.prompt) &&
      HASH.test(String(g.requestHash)) &&
      HASH.test(String(g.inputHash)) &&
      text(g.createdAt) &&
      text(g.raw) &&
      text(g.model) &&
      Number.isInteger(g.seed) &&
      typeof g.temperature === "number" &&
      ["llm", "chat", "hand"].includes(g.source) &&
      (g.label === undefined || text(g.label)) &&
      object(g.outputs) &&
      g.outputs !== undefined &&
      Object.values(g.outputs).every(text) &&
      object(g.identity) &&
      object(g.usage) &&
      (g.durationMs === undefined || typeof g.durationMs === "number");
    return valid ? g : undefined;
  } catch {
    return undefined;
  }
}
const HASH = /^sha256:[0-9a-f]{64}$/;
