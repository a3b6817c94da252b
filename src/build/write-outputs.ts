import { promises as fsp } from "node:fs";
import path from "node:path";
import { PcError } from "../errors.js";
import { readIfExists, sha256, writeFileAtomic } from "../util/fs.js";

/**
 * Writes a prompt's outputs, each atomically and only when its bytes change. If one write fails,
 * the files already replaced get their previous bytes back, so a prompt's outputs change together
 * or not at all. Returns the hash of every output as written.
 */
export async function writeOutputs(root: string, prompt: string, outputs: Record<string, string>): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  const replaced: Array<{ file: string; previous?: Buffer }> = [];
  try {
    for (const [relative, text] of Object.entries(outputs)) {
      const file = path.join(root, relative);
      const bytes = Buffer.from(text, "utf8");
      hashes[relative] = sha256(bytes);
      const previous = await readIfExists(file);
      if (previous?.equals(bytes)) continue;
      await writeFileAtomic(file, bytes);
      replaced.push({ file, previous });
    }
  } catch (error) {
    for (const { file, previous } of replaced.reverse()) {
      await (previous ? writeFileAtomic(file, previous) : fsp.rm(file, { force: true })).catch(() => {});
    }
    const code = (error as NodeJS.ErrnoException).code;
    throw new PcError("PC_WRITE_FAILED", `cannot write its outputs: ${(error as Error).message}`, {
      file: prompt,
      hint: code === "EACCES" || code === "EPERM" || code === "EROFS"
        ? "Make the output folder writable; the previous outputs and the lock are unchanged."
        : code === "ENOSPC" ? "Free some disk space; the previous outputs and the lock are unchanged." : "The previous outputs and the lock are unchanged.",
      cause: error,
    });
  }
  return hashes;
}
