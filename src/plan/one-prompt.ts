import { PcError } from "../util/errors.js";
import {
  ownersOf,
  parseRecord,
  renderRecord,
  type Project,
  type PromptRecord,
  type RenderedRecord,
} from "./project.js";
import { selectPrompts } from "./select.js";
import { count } from "../util/plural.js";

/**
 * Resolves a command-line path to exactly one prompt (a prompt file or one of its outputs), for
 * commands about a single prompt (`pc diff`, `pc log`). A prompt that is gone but still has a lock
 * entry is accepted: its generations are still in the cache.
 */
export function selectOnePrompt(project: Project, cwd: string, given: string, command: string): string {
  const selected = selectPrompts(project, cwd, [given]) ?? [];
  if (selected.length !== 1) {
    throw new PcError("PC_USAGE", `"${given}" names ${count(selected.length, "prompt")}; ${command} takes one`, {
      hint: `Give one prompt file or one of its outputs, e.g. pc ${command} ${selected[0] ?? "prompts/app.md"}`,
    });
  }
  return selected[0]!;
}

/**
 * Parses (if the planner took the unchanged shortcut) and renders one prompt, so its messages and
 * hashes are those of the files now. Throws the prompt's own error if it cannot be rendered.
 */
export async function renderOne(project: Project, prompt: string): Promise<RenderedRecord> {
  const record = project.records.get(prompt);
  if (!record) {
    throw new PcError("PC_PROMPT_NOT_FOUND", "the prompt file is gone; only its lock entry remains", {
      file: prompt,
      hint: "Restore the prompt (git checkout) to work with it.",
    });
  }
  if (record.stage !== "unchanged" && record.stage !== "recalled") return readyToGenerate(record);
  const parsed = await parseRecord(project.root, record);
  const rendered = await renderRecord(
    project.root,
    { ...record, parsed },
    project.files,
    ownersOf(project.records.values()),
    project.config.modelsDir,
  );
  project.records.set(prompt, rendered);
  return readyToGenerate(rendered);
}

/**
 * Parses (if the planner took its hashes from a lock entry) and renders a prompt again with the
 * files as they are now (the prompts it reads may have just been built). The project holds the
 * record returned.
 */
export async function renderAgain(project: Project, record: PromptRecord): Promise<PromptRecord> {
  const parsed = await parseRecord(project.root, record);
  for (const input of record.inputs) project.files.forget(input);
  const rendered = await renderRecord(
    project.root,
    { ...record, parsed },
    project.files,
    project.graph.owners,
    project.config.modelsDir,
  );
  project.records.set(record.prompt, rendered);
  return rendered;
}

/** The record, rendered; else throws the prompt's own error, or that it reads an output not built yet. */
export function readyToGenerate(record: PromptRecord, hint?: (owner: string) => string): RenderedRecord {
  if (record.stage === "invalid") throw record.error;
  if (record.stage === "waiting") throw readsUnbuiltOutput(record.prompt, record.waitsFor, hint?.(record.waitsFor));
  if (record.stage !== "rendered") throw new Error(`${record.prompt} is not rendered (${record.stage})`);
  return record;
}

/** The prompt reads an output of `owner` that does not exist yet. */
export function readsUnbuiltOutput(
  prompt: string,
  owner: string,
  hint = `Build ${owner} first (pc build ${owner}).`,
): PcError {
  return new PcError("PC_FILE_UNREADABLE", `reads an output of ${owner} that does not exist`, { file: prompt, hint });
}

/** Pins that `pc diff` and `pc seed` try instead of the prompt's own, without editing the prompt file. */
export interface PinOverrides {
  seed?: number;
  temperature?: number;
  model?: string;
}

/** The prompt with overridden pins, rendered again (a `gguf:` model's bytes become an input). */
export async function withPins(project: Project, record: RenderedRecord, pins: PinOverrides): Promise<RenderedRecord> {
  if (pins.seed === undefined && pins.temperature === undefined && pins.model === undefined) return record;
  const { parsed } = record;
  const frontmatter = {
    ...parsed.frontmatter,
    ...(pins.seed !== undefined ? { seed: pins.seed } : {}),
    ...(pins.temperature !== undefined ? { temperature: pins.temperature } : {}),
    ...(pins.model !== undefined ? { model: pins.model } : {}),
  };
  const promptHash = record.inputHashes[record.prompt];
  const copy = {
    ...record,
    parsed: { ...parsed, frontmatter },
    inputHashes: promptHash === undefined ? {} : { [record.prompt]: promptHash },
  };
  return readyToGenerate(await renderRecord(project.root, copy, project.files, new Map(), project.config.modelsDir));
}
