import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  fstatSync,
  openSync,
  readSync,
  realpathSync,
  statSync,
  type Stats,
} from "node:fs";
import path from "node:path";
import type { FileText } from "../prompt/inputs.js";
import { READ_FLAGS, leavesFolder, readIfExistsSync, sha256, writeFileAtomic } from "../util/fs.js";

/** Files at least this big are hashed by streaming rather than read at once (GGUF models are gigabytes). */
const CACHE_THRESHOLD = 8 * 1024 * 1024;
const CACHE_FILE = ".pc/file-hashes.json";
/**
 * A file changed less than this long before the run began may change again without a new
 * timestamp (file systems stamp times from a coarse clock); its hash is not kept (see remember).
 */
const RACY_MS = 2_000;

/** A file's hash, valid while the file's size, times and inode are the ones recorded. */
interface CachedHash {
  size: number;
  mtimeMs: number;
  /** Changes with any write, and cannot be set back (mtime can, with touch or utimes). */
  ctimeMs: number;
  /** A file replaced by a rename (a new download moved into place) gets a new inode. */
  ino: number;
  hash: string;
}

/**
 * Hashes project files, each at most once per run, and keeps each hash in .pc/file-hashes.json
 * with the file's size, mtime, ctime and inode: the next run stats the file instead of reading
 * it while those are unchanged, as git's index does. A no-op plan hashes three files per prompt;
 * a stat costs a fraction of a read and hash, and a model of gigabytes is not read again at all. A hash is kept only for files unchanged for a while before the run,
 * so a write in the same timestamp tick as the read cannot go unnoticed.
 *
 * Files are read synchronously, in chunks through one reused buffer: through fs.promises each
 * read is several thread-pool round trips and promises (several times slower than readFileSync on
 * many small prompts). Planning has nothing else to
 * do meanwhile, so blocking costs nothing.
 */
export class FileHashes {
  /** A hash (or undefined: no such file) once known; a promise while a large file is being hashed. */
  private readonly memo = new Map<string, string | undefined | Promise<string | undefined>>();
  /** The hashes recorded by earlier runs, read on first use. */
  private cache?: Record<string, CachedHash>;
  /** The entries to record: those of the files this run hashed that still hold. */
  private readonly current = new Map<string, CachedHash>();
  /** Files read by rendering prompts in this run (see renderPrompt). */
  readonly texts = new Map<string, FileText>();

  constructor(
    private readonly root: string,
    /** When the run began (ms since the epoch); see RACY_MS. */
    private readonly startedAt = Date.now(),
  ) {}

  /**
   * sha256 of the file's bytes, or undefined when it does not exist. `relative` is a posix path
   * relative to the root; an absolute path (a downloaded model outside the project) works too.
   */
  async hash(relative: string): Promise<string | undefined> {
    return this.hashNow(relative);
  }

  /**
   * The same, without a promise unless a large file must be streamed: the planner calls this for
   * three files per prompt, and the promises are a measurable part of planning many prompts.
   */
  hashNow(relative: string): string | undefined | Promise<string | undefined> {
    if (this.memo.has(relative)) return this.memo.get(relative);
    const result = this.compute(relative, this.absolute(relative));
    this.memo.set(relative, result);
    return result;
  }

  /**
   * The absolute path of a project path. The planner asks for three files per prompt, and the paths
   * of the lock are plain (posix, relative, normalized): joined without path.resolve's normalizing,
   * which is a measurable part of planning many prompts.
   */
  private absolute(relative: string): string {
    return PLAIN.test(relative) ? `${this.root}${path.sep}${relative}` : path.resolve(this.root, relative);
  }

  /**
   * {@link hash} of a file named on purpose (a model), read wherever it lies: keyed by its project
   * path when it is in the project, by its absolute path when it is elsewhere or in the project
   * through a link out of it (a models folder linked to a shared one).
   */
  hashAbsolute(absolute: string): Promise<string | undefined> {
    const relative = path.relative(this.root, absolute);
    const inside = !leavesFolder(relative) && this.inside(absolute);
    return this.hash(inside ? relative.split(path.sep).join("/") : path.resolve(absolute));
  }

  /** Forgets what is known about a file (after pc wrote it). */
  forget(relative: string): void {
    this.memo.delete(relative);
    this.texts.delete(relative);
    this.current.delete(relative);
  }

  private compute(relative: string, absolute: string): string | undefined | Promise<string | undefined> {
    if (relative.includes("\0")) return NOT_A_FILE; // no file has such a name
    const stat = statSync(absolute, { throwIfNoEntry: false });
    if (!stat) return undefined;
    // A folder, fifo or device is never read (a fifo would wait for a writer, /dev/zero never ends).
    if (!stat.isFile()) return NOT_A_FILE;
    const cached = this.loadCache()[relative];
    if (
      cached &&
      cached.size === stat.size &&
      cached.mtimeMs === stat.mtimeMs &&
      cached.ctimeMs === stat.ctimeMs &&
      cached.ino === stat.ino
    ) {
      this.current.set(relative, cached);
      return cached.hash;
    }
    // Read only inside the project: a project path whose real path leads out (a symlink) is not read.
    if (!path.isAbsolute(relative) && !this.inside(absolute)) return NOT_A_FILE;
    const quick = hashUnlessLarge(absolute);
    if (quick !== LARGE) {
      if (quick !== undefined) this.remember(relative, stat, quick);
      return quick;
    }
    return streamHash(absolute).then((hash) => {
      this.remember(relative, stat, hash);
      return hash;
    });
  }

  /**
   * Records a hash with the stat taken before the file was read. Any later write changes the ctime,
   * so the record stops holding (a write during the read too), unless the write lands in the same
   * tick of the file system's clock as the write before it: so only a file last changed well before
   * this run began is recorded.
   */
  private remember(relative: string, stat: Stats, hash: string): void {
    const trustBefore = this.startedAt - RACY_MS;
    if (stat.mtimeMs >= trustBefore || stat.ctimeMs >= trustBefore) return;
    this.current.set(relative, { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, hash });
  }

  private realRoot?: string;

  /** Whether the real path of a file (symlinks followed) is inside the project's real root. */
  private inside(absolute: string): boolean {
    this.realRoot ??= realpathSync.native(this.root);
    let real: string;
    try {
      real = realpathSync.native(absolute);
    } catch {
      return false;
    }
    return !leavesFolder(path.relative(this.realRoot, real));
  }

  private loadCache(): Record<string, CachedHash> {
    if (!this.cache) {
      try {
        const bytes = readIfExistsSync(path.join(this.root, CACHE_FILE));
        this.cache = bytes ? validRecords(JSON.parse(bytes.toString("utf8"))) : {};
      } catch {
        this.cache = {}; // a corrupt cache only costs a rehash
      }
    }
    return this.cache;
  }

  /**
   * Records the hashes of this run's files in .pc/file-hashes.json when they differ from what was
   * recorded (a run that found every file as recorded writes nothing).
   */
  async save(): Promise<void> {
    const recorded = this.loadCache();
    const names = Object.keys(recorded);
    if (names.length === this.current.size && names.every((name) => this.current.get(name) === recorded[name])) return;
    const hashes = Object.fromEntries([...this.current.entries()].sort(([a], [b]) => (a < b ? -1 : 1)));
    await writeFileAtomic(path.join(this.root, CACHE_FILE), `${JSON.stringify(hashes)}\n`);
    this.cache = hashes;
  }
}

/**
 * The records of the file with a well-formed hash (read back from .pc/: anything else is dropped,
 * costing a rehash). A record whose size, times or inode are not numbers never matches a file's
 * stat, so it is never used either.
 */
function validRecords(data: unknown): Record<string, CachedHash> {
  const records: Record<string, CachedHash> = {};
  for (const [file, r] of Object.entries(data ?? {}) as [string, Partial<CachedHash> | null][]) {
    if (typeof r?.hash === "string" && HASH.test(r.hash)) records[file] = r as CachedHash;
  }
  return records;
}
const HASH = /^sha256:[0-9a-f]{64}$/;

async function streamHash(file: string): Promise<string> {
  const hash = createHash("sha256");
  const fd = openSync(file, READ_FLAGS);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    return NOT_A_FILE;
  }
  for await (const chunk of createReadStream(file, { fd, highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}

/** A relative posix path with no `.` or `..` part and no empty part: `a/b.txt`, not `/a`, `./a`, `a//b`, `a/../b`. */
const PLAIN = /^(?!\.\.?(?:\/|$))[^/\\:]+(?:\/(?!\.\.?(?:\/|$))[^/\\:]+)*$/;

const LARGE = Symbol("large file");
/**
 * The "hash" of a path that is no regular file: equal to no recorded hash, so a folder or device
 * where a file was recorded is a change, never a match.
 */
export const NOT_A_FILE = "not-a-file";
const CHUNK = 64 * 1024;
/** Reused by every synchronous read: nothing else runs between a read and its hash update. */
const chunk = Buffer.allocUnsafe(CHUNK);

/** `sha256:<hex>` of a file read synchronously, undefined when it does not exist, LARGE from CACHE_THRESHOLD on. */
function hashUnlessLarge(absolute: string): string | undefined | typeof LARGE {
  let fd: number;
  try {
    fd = openSync(absolute, READ_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    if (!fstatSync(fd).isFile()) return NOT_A_FILE; // replaced since the stat
    // A file that fits in the buffer (nearly every prompt, context file and output) is hashed in one call.
    // Once the buffer is full, a read of 0 bytes answers 0 without a system call and ends the loop.
    let filled = 0;
    for (let n; (n = readSync(fd, chunk, filled, CHUNK - filled, null)) > 0;) filled += n;
    if (filled < CHUNK) return sha256(chunk.subarray(0, filled));
    if (fstatSync(fd).size >= CACHE_THRESHOLD) return LARGE;
    const hash = createHash("sha256").update(chunk);
    for (let n; (n = readSync(fd, chunk, 0, CHUNK, null)) > 0;) hash.update(chunk.subarray(0, n));
    return `sha256:${hash.digest("hex")}`;
  } finally {
    closeSync(fd);
  }
}
