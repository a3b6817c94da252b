import path from "node:path";
import { readIfExistsSync, writeFileAtomic } from "../util/fs.js";

/** The last failed attempt of a prompt, kept in .pc/ (not committed) so `pc status` can say `failed`. */
export interface FailureRecord {
  inputHash: string;
  code: string;
  message: string;
}

const FILE = ".pc/failures.json";

export async function readFailures(root: string): Promise<Record<string, FailureRecord>> {
  const bytes = readIfExistsSync(path.join(root, FILE)); // sync: see readLock
  if (!bytes) return {};
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return {}; // bookkeeping only: a corrupt file loses nothing but the `failed` labels
  }
}

export async function writeFailures(root: string, failures: Record<string, FailureRecord>): Promise<void> {
  const sorted = Object.fromEntries(Object.entries(failures).sort(([a], [b]) => (a < b ? -1 : 1)));
  const text = `${JSON.stringify(sorted, null, 2)}\n`;
  const file = path.join(root, FILE);
  const previous = readIfExistsSync(file)?.toString("utf8");
  // Unchanged (or nothing failed, as before): not rewritten.
  if (previous === text || (previous === undefined && Object.keys(sorted).length === 0)) return;
  await writeFileAtomic(file, text);
}
