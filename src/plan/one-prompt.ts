import { PcError } from "../util/errors.js";
import { ownersOf, parseRecord, renderRecord, type Project, type PromptRecord } from "./project.js";
import { selectPrompts } from "./select.js";

/**
 * Resolves a command-line path to exactly one prompt (a prompt file or one of its outputs), for
 * commands about a single prompt (`pc diff`, `pc log`). A prompt that is gone but still has a lock
 * entry is accepted: its generations are still in the cache.
 */
export function selectOnePrompt(project: Project, cwd: string, given: string, command: string): string {
  const selected = selectPrompts(project, cwd, [given]) ?? [];
  if (selected.length !== 1) {
    throw new PcError("PC_USAGE", `"${given}" names ${selected.length} prompts; ${command} takes one`, {
      hint: `Give one prompt file or one of its outputs, e.g. pc ${command} ${selected[0] ?? "prompts/app.md"}`,
    });
  }
  return selected[0]!;
}

/**
 * Parses (if the planner took the unchanged shortcut) and renders one prompt, so its messages and
 * hashes are those of the files now. Throws the prompt's own error if it cannot be rendered.
 */
export async function renderOne(project: Project, prompt: string): Promise<PromptRecord> {
  const record = project.records.get(prompt);
  if (!record) {
    throw new PcError("PC_PROMPT_NOT_FOUND", "the prompt file is gone; only its lock entry remains", {
      file: prompt,
      hint: "Restore the prompt (git checkout) to work with it.",
    });
  }
  if (!record.parsed && !record.error) {
    await parseRecord(project.root, record);
    await renderRecord(project.root, record, project.files, ownersOf(project.records));
  }
  throwUnlessReady(record);
  return record;
}

/**
 * Parses (if the planner took its hashes from a lock entry) and renders a prompt again with the
 * files as they are now (the prompts it reads may have just been built). Throws what keeps it from
 * being generated.
 */
export async function renderAgain(project: Project, record: PromptRecord): Promise<void> {
  await parseRecord(project.root, record);
  for (const input of record.inputs) project.files.forget(input);
  await renderRecord(project.root, record, project.files, project.graph.owners);
  throwUnlessReady(record);
}

/** Throws the prompt's own error, or that it reads an output not built yet. */
export function throwUnlessReady(record: PromptRecord, hint?: string): void {
  if (record.error) throw record.error;
  if (record.waitsFor) throw readsUnbuiltOutput(record.prompt, record.waitsFor, hint);
}

/** The prompt reads an output of `owner` that does not exist yet. */
export function readsUnbuiltOutput(prompt: string, owner: string, hint = `Build ${owner} first (pc build ${owner}).`): PcError {
  return new PcError("PC_FILE_UNREADABLE", `reads an output of ${owner} that does not exist`, { file: prompt, hint });
}
