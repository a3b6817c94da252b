import { createHash } from "node:crypto";
import { createReadStream, promises as fsp } from "node:fs";
import path from "node:path";
import { readIfExists, writeFileAtomic } from "../util/fs.js";

/** Files at least this big have their hash cached by size and mtime (GGUF models are gigabytes). */
const CACHE_THRESHOLD = 8 * 1024 * 1024;
const CACHE_FILE = ".pc/file-hashes.json";

interface CachedHash {
  size: number;
  mtimeMs: number;
  /** A file replaced by a rename (a new download moved into place) gets a new inode. */
  ino: number;
  hash: string;
}

/**
 * Hashes project files, each at most once per run. Large files are hashed by streaming and the
 * result is kept in .pc/file-hashes.json, reused while size, mtime and inode are unchanged.
 */
export class FileHashes {
  private readonly memo = new Map<string, Promise<string | undefined>>();
  private cache?: Record<string, CachedHash>;
  private dirty = false;

  constructor(private readonly root: string) {}

  /**
   * sha256 of the file's bytes, or undefined when it does not exist. `relative` is a posix path
   * relative to the root; an absolute path (a downloaded model outside the project) works too.
   */
  hash(relative: string): Promise<string | undefined> {
    let pending = this.memo.get(relative);
    if (!pending) {
      pending = this.compute(relative);
      this.memo.set(relative, pending);
    }
    return pending;
  }

  /** {@link hash} of an absolute path: keyed by its project path when inside the project. */
  hashAbsolute(absolute: string): Promise<string | undefined> {
    const relative = path.relative(this.root, absolute);
    const inside = relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative);
    return this.hash(inside ? relative.split(path.sep).join("/") : path.resolve(absolute));
  }

  /** Forgets what is known about a file (after pc wrote it). */
  forget(relative: string): void {
    this.memo.delete(relative);
  }

  private async compute(relative: string): Promise<string | undefined> {
    const absolute = path.resolve(this.root, relative);
    let stat;
    try {
      stat = await fsp.stat(absolute);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
    if (stat.size < CACHE_THRESHOLD) {
      const bytes = await readIfExists(absolute);
      return bytes === undefined ? undefined : `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    }
    const cache = await this.loadCache();
    const hit = cache[relative];
    if (hit && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs && hit.ino === stat.ino) return hit.hash;
    const hash = await streamHash(absolute);
    cache[relative] = { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, hash };
    this.dirty = true;
    return hash;
  }

  private async loadCache(): Promise<Record<string, CachedHash>> {
    if (!this.cache) {
      const bytes = await readIfExists(path.join(this.root, CACHE_FILE));
      try {
        this.cache = bytes ? JSON.parse(bytes.toString("utf8")) : {};
      } catch {
        this.cache = {}; // a corrupt cache only costs a rehash
      }
    }
    return this.cache!;
  }

  /** Persists the large-file hash cache if it changed. */
  async save(): Promise<void> {
    if (!this.dirty || !this.cache) return;
    await writeFileAtomic(path.join(this.root, CACHE_FILE), `${JSON.stringify(this.cache, null, 2)}\n`);
    this.dirty = false;
  }
}

async function streamHash(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}
