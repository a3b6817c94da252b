import { Formatter } from "../answer/format.js";
import { EarlierEntries } from "../cache/entries.js";
import { GenerationStore, type Generation } from "../cache/store.js";
import { PcError } from "../util/errors.js";
import { newGeneration, postProcess } from "../execute/generate.js";
import { refuseDrift } from "../execute/drift.js";
import { acquireBuildMutex } from "../execute/build-mutex.js";
import { lockEntryFor } from "../execute/lock-entry.js";
import { writeOutputs } from "../execute/write-outputs.js";
import { writeLock } from "../lock/lock-io.js";
import type { OutputSource } from "../lock/lockfile.js";
import { writeFailures } from "../plan/failures.js";
import { loadProject, type Project, type RenderedStage } from "../plan/project.js";
import { sha256 } from "../util/fs.js";
import { selectPrompts } from "../plan/selection.js";
import { readyToGenerate } from "../plan/one-prompt.js";
import { count } from "../util/plural.js";

export interface AcceptOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** The prompt (or one of its outputs), relative to cwd. */
  prompt: string;
  /** A chat UI's answer. Without one, the outputs on disk are adopted as kept by hand. */
  answer?: string;
  /** Where the answer came from, for messages: a file name, "stdin", "the clipboard". */
  answerSource?: string;
  /** What produced the answer, recorded in the lock, e.g. "chatgpt web". */
  label?: string;
  /** Overwrite outputs that were edited by hand. */
  force?: boolean;
  /** Extract and format the answer and report what would be written; write nothing (chat answers only). */
  dryRun?: boolean;
}

export interface AcceptResult {
  prompt: string;
  /** What the lock records now: "chat" or "hand", or the earlier source when nothing changed. */
  source: OutputSource;
  label?: string;
  /** Every output, path -> sha256 as recorded. */
  outputs: Record<string, string>;
  /** Outputs whose bytes changed on disk. */
  written: string[];
  /** False when the lock already recorded exactly this (an adopt of a fresh prompt changes nothing). */
  recorded: boolean;
  /** The source the lock recorded before, if any. */
  previousSource?: OutputSource;
  /** Prompts that read these outputs and now need a build. */
  dependents: string[];
  /** The stored generation's id (chat answers only). */
  generation?: string;
  /** For a dry run: every output's text as it would be written. */
  texts?: Record<string, string>;
}

/**
 * Takes a prompt's outputs in from outside the model: a chat answer (extracted and formatted
 * exactly as `pc build` does, written atomically, recorded with source "chat"), or, with no
 * answer, the files as they are on disk (recorded with source "hand").
 */
export async function accept(options: AcceptOptions): Promise<AcceptResult> {
  const cwd = options.cwd ?? process.cwd();
  if (options.dryRun && options.answer === undefined)
    throw new PcError("PC_USAGE", "a dry run of accept previews an answer, and none was given");
  // A preview writes nothing, so it need not wait for a build that holds the build mutex.
  const release = options.dryRun ? async () => {} : await acquireBuildMutex(cwd);
  try {
    const project = await loadProject(cwd, { renderAll: true });
    const loaded = promptRecord(project, cwd, options.prompt);
    return options.answer === undefined
      ? await adopt(project, loaded)
      : await takeAnswer(project, loaded, options.answer, options);
  } finally {
    await release();
  }
}

function promptRecord(project: Project, cwd: string, given: string): RenderedStage {
  const selected = selectPrompts(project, cwd, [given]);
  const prompt = selected.length === 1 ? selected[0] : undefined;
  if (!prompt) {
    throw new PcError("PC_USAGE", `"${given}" matches ${count(selected.length, "prompt")}; accept takes one`, {
      hint: `Name one prompt file, e.g. pc accept ${selected[0]}`,
    });
  }
  const loaded = project.prompts.get(prompt);
  if (!loaded) {
    throw new PcError("PC_PROMPT_NOT_FOUND", "the prompt file is gone; only its lock entry remains", { file: prompt });
  }
  const error = project.graph.errors.get(prompt);
  if (error) throw error;
  return readyToGenerate(loaded, (owner) => `Build or accept ${owner} first.`);
}

async function takeAnswer(
  project: Project,
  loaded: RenderedStage,
  answer: string,
  options: AcceptOptions,
): Promise<AcceptResult> {
  const { root } = project;
  let outputs: Record<string, string>;
  try {
    outputs = await postProcess(loaded.parsed, answer, new Formatter(root));
  } catch (error) {
    if (!(error instanceof PcError)) throw error;
    throw new PcError(error.code, error.message.replace("the model's answer", "the answer"), {
      file: options.answerSource,
      hint: `${error.hint ?? ""}\nNothing was written and the lock is unchanged.`.trim(),
      cause: error,
    });
  }
  const entry = loaded.entry;
  if (!options.force) {
    const hint = `Keep the edit with \`pc accept ${loaded.prompt}\` (no answer), or replace it with --force. Nothing was written.`;
    await refuseDrift(project.files, loaded.prompt, entry?.outputs, outputs, hint);
  }
  if (options.dryRun) {
    const written = await changedOutputs(project, outputs);
    const hashes = Object.fromEntries(Object.entries(outputs).map(([file, text]) => [file, sha256(text)]));
    return {
      prompt: loaded.prompt,
      source: "chat",
      label: options.label,
      outputs: hashes,
      written,
      recorded: false,
      previousSource: entry?.source,
      dependents: [],
      texts: outputs,
    };
  }
  const generation = newGeneration(loaded, { source: "chat", label: options.label, raw: answer, outputs });
  const written = await changedOutputs(project, outputs);
  const hashes = await writeOutputs(root, loaded.prompt, outputs);
  await new GenerationStore(root).save(generation);
  await recordEntry(project, loaded, lockEntryFor(loaded, hashes, "chat", generation));
  return {
    prompt: loaded.prompt,
    source: "chat",
    label: options.label,
    outputs: hashes,
    written,
    recorded: true,
    previousSource: entry?.source,
    dependents: written.length ? dependentsOf(project, loaded.prompt) : [],
    generation: generation.id,
  };
}

async function adopt(project: Project, loaded: RenderedStage): Promise<AcceptResult> {
  const hashes: Record<string, string> = {};
  for (const output of loaded.outputs) {
    const hash = await project.files.hash(output);
    if (hash === undefined) {
      throw new PcError("PC_OUTPUT_MISSING", `cannot adopt ${output}: it does not exist`, {
        file: loaded.prompt,
        hint: `Write the file first, accept a chat answer (pc accept ${loaded.prompt} answer.md), or generate it (pc build ${loaded.prompt}).`,
      });
    }
    hashes[output] = hash;
  }
  const entry = loaded.entry;
  const base = { prompt: loaded.prompt, outputs: hashes, written: [], previousSource: entry?.source, dependents: [] };
  const unchanged =
    entry && entry.inputHash === loaded.hashes.inputHash && loaded.outputs.every((o) => entry.outputs[o] === hashes[o]);
  if (unchanged && project.failures[loaded.prompt] === undefined) {
    // Already fresh: its provenance (model, chat or hand) stays as it is.
    return { ...base, source: entry.source, label: entry.label, recorded: false };
  }
  await recordEntry(project, loaded, lockEntryFor(loaded, hashes, "hand"));
  const changed = loaded.outputs.filter((o) => entry?.outputs[o] !== hashes[o]);
  return {
    ...base,
    source: "hand",
    recorded: true,
    dependents: changed.length ? dependentsOf(project, loaded.prompt) : [],
  };
}

/** Records one prompt's entry in the lock (atomically) and clears its last failure. */
async function recordEntry(
  project: Project,
  loaded: RenderedStage,
  entry: ReturnType<typeof lockEntryFor>,
): Promise<void> {
  project.lock.prompts[loaded.prompt] = entry;
  await writeLock(project.root, project.lock, project.lockText);
  // Kept for the prompt's text, as a build keeps its entries (see EarlierEntries): an optimisation only.
  await new EarlierEntries(project.root).remember(loaded.prompt, entry).catch(() => false);
  if (project.failures[loaded.prompt]) {
    const failures = { ...project.failures };
    delete failures[loaded.prompt];
    await writeFailures(project.root, failures);
  }
}

async function changedOutputs(project: Project, outputs: Record<string, string>): Promise<string[]> {
  const changed: string[] = [];
  for (const [output, text] of Object.entries(outputs)) {
    if ((await project.files.hash(output)) !== sha256(text)) changed.push(output);
  }
  return changed;
}

function dependentsOf(project: Project, prompt: string): string[] {
  return [...project.graph.dependsOn.entries()]
    .filter(([, deps]) => deps.includes(prompt))
    .map(([p]) => p)
    .sort();
}
