import { promises as fsp } from "node:fs";
import { PcError, writeFailure } from "../util/errors.js";
import { readIfExistsSync, sha256, writeFileAtomic } from "../util/fs.js";
import { checkOutputPath } from "../util/project-path.js";

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
export async function replaceOutputs(
  root: string,
  prompt: string,
  outputs: Record<string, string>,
): Promise<WrittenOutputs> {
  const hashes: Record<string, string> = {};
  const replaced: Array<{ file: string; previous?: Buffer }> = [];
  const undo = async () => {
    for (const { file, previous } of replaced) {
      await (previous ? writeFileAtomic(file, previous, { root }) : fsp.rm(file)).catch(() => {});
    }
    replaced.length = 0;
  };
  try {
    for (const [relative, text] of Object.entries(outputs)) {
      // Checked again at the moment of writing: the file may have become a folder, or its folder a symlink.
      const file = checkOutputPath(root, relative, prompt);
      const bytes = Buffer.from(text, "utf8");
      hashes[relative] = sha256(bytes);
      const previous = readIfExistsSync(file);
      if (previous?.equals(bytes)) continue;
      await writeFileAtomic(file, bytes, { root });
      replaced.push({ file, previous });
    }
  } catch (error) {
    await undo();
    throw writeFailed(prompt, "cannot write its outputs", error);
  }
  return { hashes, undo };
}

/** Writes a prompt's outputs (see replaceOutputs); returns the hash of every output as written. */
export async function writeOutputs(
  root: string,
  prompt: string,
  outputs: Record<string, string>,
): Promise<Record<string, string>> {
  return (await replaceOutputs(root, prompt, outputs)).hashes;
}

/** PC_WRITE_FAILED with the fix for the usual causes (read-only folder, full disk). */
export function writeFailed(prompt: string, what: string, error: unknown): PcError {
  return error instanceof PcError ? error : writeFailure(what, error, { file: prompt });
}
