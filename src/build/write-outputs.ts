import { promises as fsp } from "node:fs";
import path from "node:path";
import { PcError } from "../errors.js";
import { readIfExists, sha256, writeFileAtomic } from "../util/fs.js";

export interface WrittenOutputs {
  /** path -> sha256 of the bytes written. */
  hashes: Record<string, string>;
  /** Puts back the previous bytes of every file this write replaced (or removes files it created). */
  restore(): Promise<void>;
}

/**
 * Writes a prompt's outputs, each atomically and only when its bytes change. If one write fails,
 * the files already replaced get their previous bytes back, so a prompt's outputs change together
 * or not at all. The result can undo the whole write, for when recording it in the lock fails.
 */
export async function replaceOutputs(root: string, prompt: string, outputs: Record<string, string>): Promise<WrittenOutputs> {
  const hashes: Record<string, string> = {};
  const replaced: Array<{ file: string; previous?: Buffer }> = [];
  const restore = async () => {
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
      const previous = await readIfExists(file);
      if (previous?.equals(bytes)) continue;
      await writeFileAtomic(file, bytes);
      replaced.push({ file, previous });
    }
  } catch (error) {
    await restore();
    throw writeFailed(prompt, "its outputs", error);
  }
  return { hashes, restore };
}

/** Writes a prompt's outputs (see replaceOutputs); returns the hash of every output as written. */
export async function writeOutputs(root: string, prompt: string, outputs: Record<string, string>): Promise<Record<string, string>> {
  return (await replaceOutputs(root, prompt, outputs)).hashes;
}

/** PC_WRITE_FAILED for `what` of `prompt`, with a hint fitting the file system's error. */
export function writeFailed(prompt: string, what: string, error: unknown): PcError {
  const code = (error as NodeJS.ErrnoException).code;
  const fix =
    code === "EACCES" || code === "EPERM" || code === "EROFS"
      ? "Make the folder writable; "
      : code === "ENOSPC"
        ? "Free some disk space; "
        : "";
  return new PcError("PC_WRITE_FAILED", `cannot write ${what}: ${(error as Error).message}`, {
    file: prompt,
    hint: `${fix}${fix ? "the" : "The"} previous outputs and the lock are unchanged.`,
    cause: error,
  });
}
