import path from "node:path";
import { readIfExistsSync, writeFileAtomic } from "../util/fs.js";
import { redactDeep } from "../util/redact.js";

/** The last failed attempt of a prompt, kept in .pc/ (not committed) so `pc status` can say `failed`. */
export interface BuildFailure {
  inputHash: string;
  code: string;
  message: string;
}

const FILE = ".pc/failures.json";

export async function readFailures(root: string): Promise<Record<string, BuildFailure>> {
  try {
    const bytes = readIfExistsSync(path.join(root, FILE)); // sync: see readLock
    const data: unknown = bytes ? JSON.parse(bytes.toString("utf8")) : {};
    // Read back from .pc/: only well-formed records count.
    const records: Record<string, BuildFailure> = {};
    if (typeof data !== "object" || data === null || Array.isArray(data)) return records;
    for (const [prompt, r] of Object.entries(data as Record<string, Partial<BuildFailure>>)) {
      if (typeof r?.inputHash === "string" && typeof r.code === "string" && typeof r.message === "string") {
        records[prompt] = { inputHash: r.inputHash, code: r.code, message: r.message };
      }
    }
    return records;
  } catch {
    return {}; // bookkeeping only: a corrupt (or unreadable) file loses nothing but the `failed` labels
  }
}

export async function writeFailures(root: string, failures: Record<string, BuildFailure>): Promise<void> {
  // Messages quote servers and answers: redacted like everything pc stores.
  const sorted = redactDeep(Object.fromEntries(Object.entries(failures).sort(([a], [b]) => (a < b ? -1 : 1))));
  const text = `${JSON.stringify(sorted, null, 2)}\n`;
  const file = path.join(root, FILE);
  const previous = readIfExistsSync(file)?.toString("utf8");
  // Unchanged (or nothing failed, as before): not rewritten.
  if (previous === text || (previous === undefined && Object.keys(sorted).length === 0)) return;
  await writeFileAtomic(file, text);
}
