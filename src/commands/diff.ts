import { Formatter } from "../answer/format.js";
import { readProjectFile } from "../util/project-path.js";
import { FILE_HEADERS_ONLY, createTwoFilesPatch } from "diff";
import path from "node:path";
import { enginePoolFor, type EngineOptions } from "../execute/engines.js";
import { produce } from "../execute/generate.js";
import { GenerationStore, type Generation } from "../cache/store.js";
import type { GenerationProgress } from "../engine/types.js";
import { PcError } from "../util/errors.js";
import { loadProject, type Project, type RenderedStage } from "../plan/project.js";
import { readIfExists } from "../util/fs.js";
import { renderOne, selectOnePrompt, withPins } from "../plan/one-prompt.js";

export interface DiffOptions extends EngineOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** The prompt file (or one of its outputs), relative to cwd. */
  prompt: string;
  /** Regenerate with these pins instead of the prompt's own (the prompt file is not edited). */
  seed?: number;
  temperature?: number;
  model?: string;
  /** Compare the two newest generations in the cache; no model call. */
  cached?: boolean;
  /** Compare this generation (an id or unique prefix from `pc log`) instead; no model call. */
  against?: string;
  /** Take the generation of the prompt's current request from the cache when it is there (default true): no model call, no new `pc log` entry. */
  cache?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: GenerationProgress) => void;
}

/** One side of a comparison: files and a label saying where they come from. */
export interface DiffSide {
  label: string;
  /** The generation id, when the side is a generation. */
  generation?: string;
  files: Record<string, string | undefined>;
}

export interface FileDiff {
  file: string;
  identical: boolean;
  /** Unified diff (no hunks when identical). */
  patch: string;
}

export interface DiffResult {
  prompt: string;
  identical: boolean;
  old: DiffSide;
  new: DiffSide;
  files: FileDiff[];
  /** The new side is the cached generation of the prompt's current request: the model was not asked. */
  restored?: boolean;
}

/**
 * Compares a prompt's outputs without writing them. By default it compares the files on disk with
 * the answer to the prompt's current request (with any overridden pins): the cached generation of
 * that request when there is one (no model call), else a new one, stored so `pc log` lists it and a
 * build with the same pins restores it; `cached` compares the two newest generations,
 * `against` compares one generation with the files on disk (or, with `cached`, with the newest).
 */
export async function diff(options: DiffOptions): Promise<DiffResult> {
  const cwd = options.cwd ?? process.cwd();
  const overrides = options.seed !== undefined || options.temperature !== undefined || options.model !== undefined;
  if (overrides && (options.cached || options.against)) {
    throw new PcError(
      "PC_USAGE",
      "--seed, --temperature and --model regenerate; they cannot be combined with --cached or --against",
      {
        hint: "Compare stored generations with --cached / --against, or regenerate with overrides, e.g. pc diff prompts/app.md --seed 7",
      },
    );
  }
  validateOverrides(options);
  const project = await loadProject(cwd);
  const prompt = selectOnePrompt(project, cwd, options.prompt, "diff");
  const store = new GenerationStore(project.root);

  let older: DiffSide;
  let newer: DiffSide;
  if (options.cached || options.against) {
    const generations = await store.forPrompt(prompt);
    if (options.against) {
      older = sideOf(findGeneration(generations, options.against, prompt));
      newer = options.cached
        ? sideOf(newestOrFail(generations, 1, prompt))
        : await diskSide(project, prompt, outputsOf(project, prompt, generations));
    } else {
      const [newest, previous] = [newestOrFail(generations, 2, prompt), generations[1]];
      older = sideOf(previous);
      newer = sideOf(newest);
    }
  } else {
    const loaded = await withPins(project, await renderOne(project, prompt), options);
    const { generation, restored } = await regenerate(project, loaded, store, options);
    older = await diskSide(project, prompt, loaded.outputs);
    newer = restored ? sideOf(generation) : { ...sideOf(generation), label: `regenerated (${pins(generation)})` };
    return { ...compare(prompt, older, newer), restored };
  }
  return compare(prompt, older, newer);
}

function validateOverrides(options: DiffOptions): void {
  if (options.seed !== undefined && !Number.isInteger(options.seed))
    throw new PcError("PC_USAGE", `--seed must be a whole number, got ${options.seed}`);
  if (options.temperature !== undefined && !(options.temperature >= 0 && options.temperature <= 2)) {
    throw new PcError("PC_USAGE", `--temperature must be a number from 0 to 2, got ${options.temperature}`);
  }
  if (options.model !== undefined && options.model.trim() === "")
    throw new PcError("PC_USAGE", "--model must name a model, e.g. --model qwen2.5-coder:7b");
}

async function regenerate(
  project: Project,
  loaded: RenderedStage,
  store: GenerationStore,
  options: DiffOptions,
): Promise<{ generation: Generation; restored: boolean }> {
  const engines = enginePoolFor(project, options);
  try {
    const produced = await produce(loaded, {
      root: project.root,
      formatter: new Formatter(project.root),
      store,
      engines,
      // The same request again would only repeat its cached answer (a pin tried before by pc seed or
      // an earlier pc diff, or the prompt as it is): no model call, nothing new in pc log.
      cache: options.cache ?? true,
      offline: false,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    if (produced.source === "llm") await store.save(produced.generation);
    return { generation: { ...produced.generation, outputs: produced.outputs }, restored: produced.source === "cache" };
  } finally {
    await engines.close();
  }
}

function pins(g: Generation): string {
  return `${g.model}, seed ${g.seed}, temperature ${g.temperature}`;
}

function sideOf(g: Generation): DiffSide {
  return { label: `generation ${g.id} (${g.source}, ${pins(g)})`, generation: g.id, files: { ...g.outputs } };
}

async function diskSide(project: Project, prompt: string, files: string[]): Promise<DiffSide> {
  const texts: Record<string, string | undefined> = {};
  // The paths may come from the lock or the cache: only plain project files are read.
  for (const file of files) texts[file] = readProjectFile(project.root, file)?.toString("utf8");
  return { label: "on disk", files: texts };
}

/** The prompt's output paths: from the prompt, else its lock entry, else its newest generation. */
function outputsOf(project: Project, prompt: string, generations: Generation[]): string[] {
  const loaded = project.prompts.get(prompt);
  if (loaded?.outputs.length) return loaded.outputs;
  const entry = project.lock.prompts[prompt];
  return entry ? Object.keys(entry.outputs) : Object.keys(generations[0]?.outputs ?? {});
}

function newestOrFail(generations: Generation[], needed: number, prompt: string): Generation {
  if (generations.length < needed) {
    throw new PcError(
      "PC_USAGE",
      `has ${generations.length} generation${generations.length === 1 ? "" : "s"} in the cache; --cached compares the two newest`,
      {
        file: prompt,
        hint: `Build it (pc build ${prompt}) or regenerate it (pc diff ${prompt}) to store another; \`pc log ${prompt}\` lists them.`,
      },
    );
  }
  return generations[0];
}

function findGeneration(generations: Generation[], id: string, prompt: string): Generation {
  const wanted = id.trim().toLowerCase();
  const matches = wanted.length >= 4 ? generations.filter((g) => g.id.startsWith(wanted)) : [];
  if (matches.length === 1) return matches[0];
  const known = generations
    .slice(0, 5)
    .map((g) => g.id)
    .join(", ");
  throw new PcError(
    "PC_USAGE",
    matches.length > 1
      ? `generation id "${id}" is ambiguous (${matches.length} match)`
      : `no generation "${id}" of this prompt in the cache`,
    {
      file: prompt,
      hint: `Give an id (or a prefix of at least 4 characters) from \`pc log ${prompt}\`${known ? `, e.g. ${known}` : ""}.`,
    },
  );
}

function compare(prompt: string, older: DiffSide, newer: DiffSide): DiffResult {
  const files = [...new Set([...Object.keys(older.files), ...Object.keys(newer.files)])].sort();
  const diffs = files.map((file): FileDiff => {
    const a = older.files[file];
    const b = newer.files[file];
    const identical = a === b;
    // Like git: a missing side is /dev/null.
    const patch = identical
      ? ""
      : createTwoFilesPatch(
          a === undefined ? "/dev/null" : `a/${file}`,
          b === undefined ? "/dev/null" : `b/${file}`,
          a ?? "",
          b ?? "",
          older.label,
          newer.label,
          {
            headerOptions: FILE_HEADERS_ONLY,
          },
        );
    return { file, identical, patch };
  });
  return { prompt, identical: diffs.every((d) => d.identical), old: older, new: newer, files: diffs };
}
