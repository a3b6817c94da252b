import path from "node:path";
import { readIfExistsSync, sha256, writeFileAtomic } from "../util/fs.js";
import { schemaHash } from "../util/schema.js";
import { LOCK_FILE, emptyLock, parseLock, serializeLock, type Lock } from "./lockfile.js";

/**
 * Where pc notes the lock text it wrote last: `<schema hash> <text hash>`. Validating a large lock
 * is a visible part of a no-op run, hashing it a small one. pc writes only locks made of entries it
 * validated or built, so reading that same text
 * back under the same schema needs no validation; any other text (a merge, a hand edit, another
 * version of pc) is validated.
 */
const WRITTEN_FILE = ".pc/lock-written";

function stampOf(bytes: string | Uint8Array): string {
  return `${schemaHash("lock")} ${sha256(bytes)}\n`;
}

/** Reads the project's lock; an absent lock is empty, a bad one is an error (never overwritten). */
export async function readLock(root: string): Promise<{ lock: Lock; text?: string }> {
  // Synchronous: fs.promises.readFile reads a large file in several thread-pool round trips, and
  // every command waits for the lock before doing anything else.
  const bytes = readIfExistsSync(path.join(root, LOCK_FILE));
  if (bytes === undefined) return { lock: emptyLock() };
  const text = bytes.toString("utf8");
  const note = readIfExistsSync(path.join(root, WRITTEN_FILE))?.toString("utf8");
  const written = note !== undefined && note === stampOf(bytes); // hashed only when there is a note
  return { lock: parseLock(text, LOCK_FILE, written), text };
}

/** Writes the lock atomically, and only when its bytes change. Returns whether it wrote. */
export async function writeLock(root: string, lock: Lock, previousText?: string): Promise<boolean> {
  const text = serializeLock(lock);
  if (text === previousText) return false;
  // Side by side: a note without its lock (or a lock without its note) only costs one validation.
  await Promise.all([
    writeFileAtomic(path.join(root, WRITTEN_FILE), stampOf(text)).catch(() => {}),
    writeFileAtomic(path.join(root, LOCK_FILE), text),
  ]);
  return true;
}
