import { createHash } from "node:crypto";
import { promises as fsp } from "node:fs";
import path from "node:path";
import type { ModelIdentity } from "../engine/types.js";
import type { OutputSource } from "../lock/lockfile.js";
import { readIfExists, writeFileAtomic } from "../util/fs.js";

/** One generation: the raw answer, the bytes written from it, and how it was made. */
export interface Generation {
  id: string;
  prompt: string;
  /** ISO time the answer was received. */
  createdAt: string;
  requestHash: string;
  inputHash: string;
  model: string;
  seed: number;
  temperature: number;
  source: Exclude<OutputSource, "cache">;
  label?: string;
  raw: string;
  /** path -> the exact bytes written (after extraction and formatting). */
  outputs: Record<string, string>;
  identity?: ModelIdentity;
  usage?: { promptTokens: number; completionTokens: number };
  durationMs?: number;
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
    await writeFileAtomic(file, `${JSON.stringify(generation, null, 2)}\n`);
  }

  /** Every generation stored under one request hash, newest first. */
  async list(requestHash: string): Promise<Generation[]> {
    const dir = this.dir(requestHash);
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
    const generations: Generation[] = [];
    for (const name of names.filter((n) => n.endsWith(".json"))) {
      const bytes = await readIfExists(path.join(dir, name));
      if (!bytes) continue;
      try {
        generations.push(JSON.parse(bytes.toString("utf8")));
      } catch {
        // A damaged cache entry is skipped: the cache is an optimisation, never the source of truth.
      }
    }
    return generations.sort(newestFirst);
  }

  async newest(requestHash: string): Promise<Generation | undefined> {
    return (await this.list(requestHash))[0];
  }

  /** Keeps a failed answer for inspection; returns its project-relative path. */
  async keepFailedAnswer(prompt: string, raw: string): Promise<string> {
    const relative = `.pc/failed/${prompt.replace(/[\\/]/g, "__")}.txt`;
    await writeFileAtomic(path.join(this.root, relative), raw);
    return relative;
  }
}

export function newestFirst(a: Generation, b: Generation): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.id < b.id ? 1 : -1;
}
