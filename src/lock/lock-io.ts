import path from "node:path";
import { readIfExistsSync, writeFileAtomic } from "../util/fs.js";
import { LOCK_FILE, emptyLock, parseLock, serializeLock, type Lock } from "./lockfile.js";

/** Reads the project's lock; an absent lock is empty, a bad one is an error (never overwritten). */
export async function readLock(root: string): Promise<{ lock: Lock; text?: string }> {
  // Synchronous: fs.promises.readFile reads a large file in several thread-pool round trips, and
  // every command waits for the lock before doing anything else.
  const bytes = readIfExistsSync(path.join(root, LOCK_FILE));
  if (bytes === undefined) return { lock: emptyLock() };
  const text = bytes.toString("utf8");
  return { lock: parseLock(text), text };
}

/** Writes the lock atomically, and only when its bytes change. Returns whether it wrote. */
export async function writeLock(root: string, lock: Lock, previousText?: string): Promise<boolean> {
  const text = serializeLock(lock);
  if (text === previousText) return false;
  await writeFileAtomic(path.join(root, LOCK_FILE), text);
  return true;
}
