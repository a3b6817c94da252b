import type { FileHashes } from "../plan/file-hashes.js";
import { PcError } from "../util/errors.js";
import { sha256 } from "../util/fs.js";
import { checkOutputPath } from "../util/project-path.js";
import type { GenerationStore } from "../cache/store.js";
import { writtenByPc } from "../cache/own-writes.js";

const BUILD_HINT = "Keep the edit with `pc accept`, or replace it with `pc build --force`.";

/**
 * Checked right before writing a prompt's outputs: an output edited by hand (its bytes are not the
 * ones recorded) is not overwritten, even if it was edited while the answer was generated. A file
 * that already holds the bytes about to be written loses nothing (a stopped build wrote it).
 */
export async function refuseDrift(
  files: FileHashes,
  prompt: string,
  recorded: Record<string, string> | undefined,
  writing: Record<string, string>,
  hint = BUILD_HINT,
  /** With these, an output is checked again (a folder or a link out?) and bytes of any kept generation of the prompt are pc's own write. */
  ours: { root?: string; store?: GenerationStore } = {},
): Promise<void> {
  for (const [output, bytes] of Object.entries(writing)) {
    if (ours.root !== undefined) checkOutputPath(ours.root, output, prompt); // it may have become a folder or a link out meanwhile
    files.forget(output);
    const current = await files.hash(output);
    if (current === undefined || current === recorded?.[output] || current === sha256(bytes)) continue;
    // Bytes of an earlier generation of this prompt that a stopped build wrote without recording them.
    if (ours.store && (await writtenByPc(ours.store, prompt, output, current))) continue;
    throw new PcError("PC_OUTPUT_DRIFTED", `${output} was edited by hand; it is not overwritten`, {
      file: prompt,
      hint,
    });
  }
}
