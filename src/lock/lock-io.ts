import { existsSync } from "node:fs";
import path from "node:path";
import { readIfExistsSync, sha256, writeFileAtomic } from "../util/fs.js";
import { schemaHash } from "../util/schema.js";
import { LOCK_FILE, emptyLock, parseLock, serializeLock, type Lock } from "./lockfile.js";

/**
 * Where pc notes the lock text that last passed the schema: `<schema hash> <text hash>`. Validating
 * the lock of 1,000 prompts took ~18 ms of a ~200 ms no-op run (10x that at 10,000 prompts);
 * hashing it takes ~1.5 ms. Validation is a function of the text and the schema alone, so a text
 * that passed once passes again.
 */
const CHECKED_FILE = ".pc/lock-checked";

/** Reads the project's lock; an absent lock is empty, a bad one is an error (never overwritten). */
export async function readLock(root: string): Promise<{ lock: Lock; text?: string }> {
  // Synchronous: fs.promises.readFile reads a large file in several thread-pool round trips, and
  // every command waits for the lock before doing anything else.
  const bytes = readIfExistsSync(path.join(root, LOCK_FILE));
  if (bytes === undefined) return { lock: emptyLock() };
  const text = bytes.toString("utf8");
  const stamp = `${schemaHash("lock")} ${sha256(bytes)}\n`;
  const checkedFile = path.join(root, CHECKED_FILE);
  const checked = readIfExistsSync(checkedFile)?.toString("utf8") === stamp;
  const lock = parseLock(text, LOCK_FILE, checked);
  // Noted only where pc keeps its state already: a read-only command never creates .pc/.
  if (!checked && existsSync(path.dirname(checkedFile))) await writeFileAtomic(checkedFile, stamp).catch(() => {});
  return { lock, text };
}

/** Writes the lock atomically, and only when its bytes change. Returns whether it wrote. */
export async function writeLock(root: string, lock: Lock, previousText?: string): Promise<boolean> {
  const text = serializeLock(lock);
  if (text === previousText) return false;
  await writeFileAtomic(path.join(root, LOCK_FILE), text);
  return true;
}
