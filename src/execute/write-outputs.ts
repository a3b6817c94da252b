import { promises as fsp } from "node:fs";
import path from "node:path";
import { PcError } from "../util/errors.js";
import { readIfExistsSync, sha256, writeFileAtomic } from "../util/fs.js";

export interface WrittenOutputs {
  /** The hash of every output as written. */
  hashes: Record<string, string>;
  /** Puts back the bytes each replaced file had before (or removes a file that did not exist). */
  undo(): Promise<void>;
}

/**
 * Writes a prompt's outputs, each atomically and only when its bytes change. If one write fails,
 * the files already replaced get their previous bytes back, so a prompt's outputs change together
 * or not at all. The result can undo the writes (when recording them in the lock fails).
 */
export async function replaceOutputs(root: string, prompt: string, outputs: Record<string, string>): Promise<WrittenOutputs> {
  const hashes: Record<string, string> = {};
  const replaced: Array<{ file: string; previous?: Buffer }> = [];
  const undo = async () => {
    for (const { file, previous } of replaced.reverse()) {
      await (previous ? writeFileAtomic(file, previous) : fsp.rm(file, { force: true })).catch(() => {});
    }
    replaced.length = 0;
  };
  try {
    for (const [relative, text] of Object.entries(outputs)) {
      const file = path.join(root, relative);
      const bytes = Buffer.from(text, "utf8");
      hashes[relative] = sha256(bytes);
      const previous = readIfExistsSync(file);
      if (previous?.equals(bytes)) continue;
      await writeFileAtomic(file, bytes);
      replaced.push({ file, previous });
    }
  } catch (error) {
    await undo();
    throw writeFailed(prompt, "cannot write its outputs", error);
  }
  return { hashes, undo };
}

/** Writes a prompt's outputs (see replaceOutputs); returns the hash of every output as written. */
export async function writeOutputs(root: string, prompt: string, outputs: Record<string, string>): Promise<Record<string, string>> {
  return (await replaceOutputs(root, prompt, outputs)).hashes;
}

/** PC_WRITE_FAILED with the fix for the usual causes (read-only folder, full disk). */
export function writeFailed(prompt: string, what: string, error: unknown): PcError {
  const code = (error as NodeJS.ErrnoException).code;
  const unchanged = "The previous outputs and the lock are unchanged.";
  return new PcError("PC_WRITE_FAILED", `${what}: ${(error as Error).message}`, {
    file: prompt,
    hint: code === "EACCES" || code === "EPERM" || code === "EROFS"
      ? `Make the folder writable; ${unchanged[0].toLowerCase()}${unchanged.slice(1)}`
      : code === "ENOSPC" || code === "EDQUOT" ? `Free some disk space; ${unchanged[0].toLowerCase()}${unchanged.slice(1)}` : unchanged,
    cause: error,
  });
}
