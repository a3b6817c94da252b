import { existsSync } from "node:fs";
import path from "node:path";
import { loadConfig, type ProjectConfig } from "../util/config.js";
import { CONTEXT_IGNORE, GLOB_CHARS, discoverPrompts } from "../prompt/discover.js";
import { PcError, toPcError } from "../util/errors.js";
import { readLock } from "../lock/lock-io.js";
import type { Lock, LockEntry } from "../lock/lockfile.js";
import type { ParsedPrompt } from "../prompt/frontmatter.js";
import { PROTOCOL_VERSION } from "../prompt/protocol.js";
import type { RenderedPrompt } from "../prompt/render-prompt.js";
import { readIfExistsSync, resolveInside, sha256 } from "../util/fs.js";
import { locateModel } from "../util/model-path.js";
import { arePlainProjectPaths, checkOutputPath, ownFileOf } from "../util/project-path.js";
import { isUtf8 } from "node:buffer";
import { requireCjs } from "../util/require-cjs.js";
import { readFailures, type BuildFailure } from "./failures.js";
import { FileHashes, NOT_A_FILE } from "./file-hashes.js";
import { buildGraph, type PromptGraph } from "./dependency-graph.js";
import { hashPrompt, pinsEverySampler, type PromptHashes } from "./hash.js";

/** What is known about every loaded prompt, whatever its stage. */
interface LoadedBase {
  prompt: string;
  outputs: string[];
  /** Paths of every input file (for the dependency graph). */
  inputs: string[];
  /** Current hash of each input, path -> sha256. */
  inputHashes: Record<string, string>;
  /** The prompt's entry in promptfile.lock. */
  entry?: LockEntry;
  /** Its request and input hashes, when known (for a prompt that waits or is invalid: as last known). */
  hashes?: PromptHashes;
  /**
   * An entry recorded earlier for this exact prompt text whose inputs are all unchanged (a reverted
   * prompt), when one was recalled.
   */
  recalled?: LockEntry;
}

/** Every input matches the lock entry: outputs, inputs and hashes were taken from it without parsing or rendering. */
export interface UnchangedStage extends LoadedBase {
  stage: "unchanged";
  entry: LockEntry;
  hashes: PromptHashes;
  /** Parsed later, when a build needs its settings (see parseLoaded). */
  parsed?: ParsedPrompt;
}

/** A reverted prompt: outputs, inputs and hashes were taken from the earlier entry recalled for its text. */
export interface RecalledStage extends LoadedBase {
  stage: "recalled";
  recalled: LockEntry;
  hashes: PromptHashes;
  parsed?: ParsedPrompt;
}

/** Parsed, and rendered with the files as they are: its request is known. */
export interface RenderedStage extends LoadedBase {
  stage: "rendered";
  parsed: ParsedPrompt;
  rendered: RenderedPrompt;
  hashes: PromptHashes;
}

/** Parsed, but it reads an output of another prompt that does not exist yet: rendered again after that prompt is built. */
export interface WaitingStage extends LoadedBase {
  stage: "waiting";
  parsed: ParsedPrompt;
  /** The prompt whose output it waits for. */
  waitsFor: string;
  /** Rendered with the files there are, when that was possible (a context glob that will match more). */
  rendered?: RenderedPrompt;
}

/** The prompt could not be parsed or rendered. */
export interface InvalidStage extends LoadedBase {
  stage: "invalid";
  error: PcError;
  parsed?: ParsedPrompt;
}

/** What is known about one prompt before anything is generated; its stage says how far it got. */
export type LoadedPrompt = UnchangedStage | RecalledStage | RenderedStage | WaitingStage | InvalidStage;

/** A loaded prompt whose request is known: its outputs can be restored from the cache. */
export type HashedPrompt = UnchangedStage | RecalledStage | RenderedStage;

/** The prompt's request is known: its outputs can be restored from the cache. */
export function isHashed(loaded: LoadedPrompt): loaded is HashedPrompt {
  return loaded.stage === "unchanged" || loaded.stage === "recalled" || loaded.stage === "rendered";
}

/** Parsed, not rendered yet: only while the project loads. */
interface ParsedStage extends LoadedBase {
  stage: "parsed";
  parsed: ParsedPrompt;
}

export interface Project {
  root: string;
  config: ProjectConfig;
  lock: Lock;
  lockText?: string;
  /** Every prompt of the project at the stage loading left it, by path. */
  prompts: Map<string, LoadedPrompt>;
  graph: PromptGraph;
  files: FileHashes;
  failures: Record<string, BuildFailure>;
}

export interface LoadOptions {
  /** Render every prompt even when its inputs match the lock (needed to generate). */
  renderAll?: boolean;
  /** Use this lock instead of reading promptfile.lock (lock repair, when the file cannot be read). */
  lock?: Lock;
  /** Take a changed prompt's hashes from an earlier entry for its text when its inputs match (see EarlierEntries). */
  recall?: boolean;
}

/** Reads the project: config, lock, prompts (parsed and rendered unless unchanged) and the graph. */
export async function loadProject(root: string, options: LoadOptions = {}): Promise<Project> {
  const config = await loadConfig(root);
  const [{ lock, text: lockText }, { prompts }, failures] = await Promise.all([
    options.lock ? { lock: options.lock, text: undefined } : readLock(root),
    discoverPrompts(root, config),
    readFailures(root),
  ]);
  const files = new FileHashes(root);
  const isPrompt = promptMatcher(config);

  // Pass 1: the unchanged check (no parsing), else parse. Outputs of every prompt are known after it.
  const loaded = await Promise.all(
    prompts.map((prompt) => loadPrompt(root, prompt, lock.prompts[prompt], files, options, isPrompt)),
  );
  const owners = ownersOf(loaded);

  // Pass 2: render what changed.
  const rendered = await Promise.all(
    loaded.map((r) => (r.stage === "parsed" ? renderLoaded(root, r, files, owners, config.modelsDir) : r)),
  );
  const loadedPrompts = new Map(rendered.map((r) => [r.prompt, r]));

  const graph = buildGraph(
    [...loadedPrompts.values()].map((r) => ({ prompt: r.prompt, outputs: r.outputs, inputs: r.inputs })),
  );
  return { root, config, lock, lockText, prompts: loadedPrompts, graph, files, failures };
}

/** Pass 1 for one prompt: unchanged since its lock entry, recalled from an earlier entry, or parsed. */
async function loadPrompt(
  root: string,
  prompt: string,
  entry: LockEntry | undefined,
  files: FileHashes,
  options: LoadOptions,
  isPrompt: (relative: string) => boolean,
): Promise<LoadedPrompt | ParsedStage> {
  if (!options.renderAll && entry && (await inputsUnchanged(root, entry, prompt, files, isPrompt))) {
    return { stage: "unchanged", prompt, entry, ...takenFrom(entry) };
  }
  const recalled = options.recall ? await recall(root, prompt, files, isPrompt) : undefined;
  if (recalled) return { stage: "recalled", prompt, entry, recalled, ...takenFrom(recalled) };
  // Changed: the bytes parsed are the bytes hashed. (Unchanged prompts are only hashed, by
  // FileHashes: holding 10,000 prompt files in memory for the few that changed is not worth it.)
  const bytes = readIfExistsSync(path.join(root, prompt));
  const base = {
    prompt,
    entry,
    outputs: [] as string[],
    inputs: [] as string[],
    inputHashes: {} as Record<string, string>,
  };
  if (bytes === undefined) {
    return {
      ...base,
      stage: "invalid",
      error: new PcError("PC_PROMPT_NOT_FOUND", "the prompt file disappeared while it was read", { file: prompt }),
    };
  }
  base.inputHashes = { [prompt]: sha256(bytes) };
  let parsed: ParsedPrompt | undefined;
  try {
    // Imported here, not at the top: gray-matter (with js-yaml) and eta take a measurable time to
    // load, which a no-op build, where every prompt is unchanged, never needs. The renderer is
    // asked for now too: node reads a module's files asynchronously, and the two loads overlap.
    void loadRenderer();
    const { parsePrompt } = await import("../prompt/frontmatter.js");
    parsed = parsePrompt(prompt, promptText(prompt, bytes));
    base.outputs = parsed.outputs;
    for (const output of parsed.outputs) checkOutputPath(root, output, prompt, isPrompt);
    return { ...base, stage: "parsed", parsed };
  } catch (error) {
    return { ...base, stage: "invalid", parsed, error: asPcError(error, prompt) };
  }
}

/** Output path -> the prompt that writes it (the first one, when two claim it: the graph reports that). */
export function ownersOf(prompts: Iterable<LoadedBase>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const r of prompts) for (const o of r.outputs) if (!owners.has(o)) owners.set(o, r.prompt);
  return owners;
}

/** A loaded prompt, parsed, ready to be rendered. */
export type ParsedSource = LoadedBase & { parsed: ParsedPrompt };

/** Renders (again) a parsed prompt and computes its hashes; used by the planner and by the build. */
export async function renderLoaded(
  root: string,
  loaded: ParsedSource,
  files: FileHashes,
  owners: Map<string, string>,
  /** The models folder of pc.config.json, where a relative `gguf:` path missing from the project is looked up. */
  modelsDir?: string,
): Promise<RenderedStage | WaitingStage | InvalidStage> {
  const { parsed } = loaded;
  const base: LoadedBase = {
    prompt: loaded.prompt,
    outputs: loaded.outputs,
    inputs: loaded.inputs,
    inputHashes: loaded.inputHashes,
    entry: loaded.entry,
    hashes: loaded.hashes,
    recalled: loaded.recalled,
  };
  try {
    const { rendered, inputHashes, modelFileHash } = await renderWithModelFile(root, loaded, files, modelsDir);
    const hashes = hashPrompt(parsed, rendered.messages, modelFileHash, rendered.checkInputs);
    const next: RenderedStage = {
      ...base,
      stage: "rendered",
      parsed,
      rendered,
      inputHashes,
      inputs: Object.keys(inputHashes),
      hashes,
    };
    return waitFor(next, unbuiltMatches(root, next, owners), owners) ?? next;
  } catch (error) {
    const missing =
      error instanceof PcError && error.code === "PC_FILE_UNREADABLE"
        ? /"([^"]+)" does not exist/.exec(error.message)?.[1]
        : undefined;
    // A missing file is waited for when another prompt writes it (waitFor finds no prompt for the others).
    const pending =
      missing !== undefined && owners.get(missing) !== loaded.prompt
        ? [missing]
        : error instanceof PcError && error.code === "PC_CONTEXT_EMPTY"
          ? unbuiltMatches(root, loaded, owners)
          : [];
    return (
      waitFor({ ...base, parsed }, pending, owners) ?? {
        ...base,
        stage: "invalid",
        parsed,
        error: asPcError(error, loaded.prompt),
      }
    );
  }
}

/** Renders the prompt; a `gguf:<path>` model's file is one more input. */
async function renderWithModelFile(
  root: string,
  loaded: ParsedSource,
  files: FileHashes,
  modelsDir?: string,
): Promise<{ rendered: RenderedPrompt; inputHashes: Record<string, string>; modelFileHash?: string }> {
  const { parsed } = loaded;
  const { renderPrompt } = await loadRenderer(); // eta: only when something changed
  const rendered = renderPrompt(root, parsed, loaded.inputHashes[loaded.prompt], files.texts);
  const inputHashes = { ...rendered.inputs };
  const modelFile = localModelPath(parsed.frontmatter.model);
  if (modelFile === undefined) return { rendered, inputHashes };
  const model = await hashModelFile(root, loaded.prompt, modelFile, files, modelsDir);
  // A model in the project is an input by its path; one elsewhere by its hash alone (no absolute path in the lock).
  if (model.inProject !== undefined) inputHashes[model.inProject] = model.hash;
  return { rendered, inputHashes, modelFileHash: model.hash };
}

/** The hash of a `gguf:` model file, wherever it is (see locateModel); a missing file is an error naming the prompt. */
async function hashModelFile(
  root: string,
  prompt: string,
  file: string,
  files: FileHashes,
  modelsDir?: string,
): Promise<{ hash: string; inProject?: string }> {
  const example =
    "e.g. model: gguf:models/qwen2.5-coder-1.5b-q4_k_m.gguf (in the project), gguf:~/models/<file>.gguf, or a file name in the modelsDir of pc.config.json";
  if (file === "" || file === ".")
    throw new PcError("PC_FRONTMATTER_INVALID", "model gguf: names no file", {
      file: prompt,
      key: "model",
      hint: `Give the GGUF file's path, ${example}`,
    });
  const located = locateModel(root, file, modelsDir);
  const hash = await files.hashAbsolute(located.absolute); // keyed by its project path when in the project
  if (!hash) {
    throw new PcError("PC_FILE_UNREADABLE", `model file "${located.inProject ?? file}" does not exist`, {
      file: prompt,
      key: "model",
      hint: `A relative path is looked up in the project root${modelsDir ? `, then in modelsDir (${modelsDir})` : ""}; ${example}.`,
    });
  }
  if (hash === NOT_A_FILE) {
    throw new PcError("PC_FILE_UNREADABLE", `model file "${located.inProject ?? file}" is not a file`, {
      file: prompt,
      key: "model",
      hint: `Name the GGUF file itself, not a folder, ${example}.`,
    });
  }
  return { hash, inProject: located.inProject };
}

/**
 * Outputs of other prompts that the prompt's context globs match but that do not exist yet (the
 * files a glob found are inputs already): it reads them once they are built.
 */
function unbuiltMatches(root: string, loaded: ParsedSource, owners: Map<string, string>): string[] {
  const globs = (loaded.parsed.frontmatter.context ?? []).filter((c) => GLOB_CHARS.test(c));
  if (globs.length === 0) return [];
  const candidates = unbuiltOutputs(root, owners).filter(
    (output) => owners.get(output) !== loaded.prompt && !(output in loaded.inputHashes),
  );
  if (candidates.length === 0) return [];
  const picomatch = requireCjs("picomatch") as typeof import("picomatch"); // only when an output is missing
  const matches = picomatch(globs);
  return candidates.filter((output) => matches(output));
}

/**
 * The outputs that did not exist when first asked, once per planning (per owners map). One built
 * since is still listed, which is harmless: a glob that matches it has found it, so it is an input.
 */
const unbuilt = new WeakMap<Map<string, string>, string[]>();
function unbuiltOutputs(root: string, owners: Map<string, string>): string[] {
  let outputs = unbuilt.get(owners);
  if (!outputs)
    unbuilt.set(owners, (outputs = [...owners.keys()].filter((output) => !existsSync(path.join(root, output)))));
  return outputs;
}

/**
 * Waiting, when `pending` (outputs not built yet) is not empty: the prompt is rendered again once
 * the prompts that write them are built (they are inputs for the graph).
 */
function waitFor(
  loaded: ParsedSource & { rendered?: RenderedPrompt },
  pending: string[],
  owners: Map<string, string>,
): WaitingStage | undefined {
  const [first] = pending;
  const waitsFor = first === undefined ? undefined : owners.get(first);
  if (waitsFor === undefined) return undefined;
  return {
    ...loaded,
    stage: "waiting",
    waitsFor,
    inputs: [...new Set([...Object.keys(loaded.inputHashes), ...pending])],
  };
}

const loadRenderer = () => import("../prompt/render-prompt.js");

/** Parses a prompt whose hashes the planner took from a lock entry, unless it is parsed already. */
export async function parseLoaded(root: string, loaded: LoadedPrompt): Promise<ParsedPrompt> {
  if (loaded.parsed) return loaded.parsed;
  const bytes = readIfExistsSync(path.join(root, loaded.prompt));
  if (!bytes) throw new PcError("PC_PROMPT_NOT_FOUND", "the prompt file disappeared", { file: loaded.prompt });
  const { parsePrompt } = await import("../prompt/frontmatter.js"); // gray-matter: see loadProject
  return (loaded.parsed = parsePrompt(loaded.prompt, promptText(loaded.prompt, bytes)));
}

/** A prompt file's text; like a context file, it must be UTF-8 text. */
function promptText(prompt: string, bytes: Buffer): string {
  if (!isUtf8(bytes) || bytes.includes(0)) {
    const at = firstInvalidByte(bytes);
    throw new PcError("PC_FILE_UNREADABLE", `the prompt file is binary or not UTF-8 text (byte ${at})`, {
      file: prompt,
      hint: "Save the prompt as UTF-8 (e.g. iconv -f latin1 -t utf-8, or your editor's encoding menu).",
    });
  }
  return bytes.toString("utf8");
}

/** 0-based offset of the first NUL or invalid UTF-8 byte. */
function firstInvalidByte(bytes: Buffer): number {
  // Only the text before the first NUL is looked at (a binary file has one early on).
  const nul = bytes.indexOf(0);
  const text = nul === -1 ? bytes : bytes.subarray(0, nul);
  // Decoding turns each invalid sequence into U+FFFD (EF BF BD): the first byte where the text encoded
  // again differs is in the first bad sequence, whose start is the start of the character holding it.
  const valid = Buffer.from(text.toString("utf8"));
  let at = 0;
  while (at < text.length && text[at] === valid[at]) at++;
  // A continuation byte (10xxxxxx; past the end, NaN & 0xc0 is 0): step back to its character's first byte.
  while ((Number(valid[at]) & 0xc0) === 0x80) at--;
  return at;
}

/** Whether a project path is a prompt or partial (matches the config's prompt globs): no prompt may write one. */
function promptMatcher(config: ProjectConfig): (relative: string) => boolean {
  let matches: ((relative: string) => boolean) | undefined;
  return (relative) => {
    if (!relative.toLowerCase().endsWith(".md")) return false; // prompts are Markdown: no glob needed for the rest
    matches ??= (requireCjs("picomatch") as typeof import("picomatch"))(config.prompts, { dot: true });
    return matches(relative);
  };
}

/** `gguf:<path>` names a model file in the project; its bytes are an input of the prompt. */
export function localModelPath(model: string): string | undefined {
  // Normalized, so `gguf:./models/a.gguf` and `gguf:models/a.gguf` are one input.
  if (!model.startsWith("gguf:")) return undefined;
  const file = model.slice(5).replace(/\\/g, "/");
  return file === "" ? "" : path.posix.normalize(file);
}

/** Outputs, inputs and hashes from a lock entry whose inputs all match the files: no parse, no render. */
function takenFrom(entry: LockEntry): Pick<HashedPrompt, "outputs" | "inputs" | "inputHashes" | "hashes"> {
  return {
    outputs: Object.keys(entry.outputs),
    inputs: Object.keys(entry.inputs),
    inputHashes: entry.inputs,
    hashes: { inputHash: entry.inputHash, requestHash: entry.requestHash, checksHash: entry.checks?.hash },
  };
}

/** The earlier entry for the prompt's current text whose inputs all still hold, if one was recorded. */
async function recall(
  root: string,
  prompt: string,
  files: FileHashes,
  isPrompt: (relative: string) => boolean,
): Promise<LockEntry | undefined> {
  const promptHash = await files.hash(prompt);
  if (!promptHash) return undefined;
  const { EarlierEntries } = await import("../cache/entries.js"); // only for a changed prompt
  for (const entry of new EarlierEntries(root).recall(prompt, promptHash)) {
    if (await inputsUnchanged(root, entry, prompt, files, isPrompt)) return entry;
  }
  return undefined;
}

async function inputsUnchanged(
  root: string,
  entry: LockEntry,
  prompt: string,
  files: FileHashes,
  isPrompt: (relative: string) => boolean,
): Promise<boolean> {
  if (entry.protocol !== PROTOCOL_VERSION || !entry.requestHash || !(prompt in entry.inputs)) return false;
  // A model outside the project is no input by path: only rendering finds and hashes it.
  const model = localModelPath(entry.model);
  if (model !== undefined && !(model in entry.inputs)) return false;
  // Read back from the lock or .pc/entries: used only when every path is a plain project path.
  if (
    !arePlainProjectPaths(entry.inputs) ||
    !arePlainProjectPaths(entry.outputs) ||
    Object.keys(entry.outputs).some((o) => ownFileOf(o) || isPrompt(o))
  )
    return false;
  // Recorded before pc pinned every sampler: the request pc sends now is another one.
  if (!pinsEverySampler(entry.sampling)) return false;
  for (const [input, recorded] of Object.entries(entry.inputs)) {
    const current = files.hashNow(input);
    if ((current instanceof Promise ? await current : current) !== recorded) return false;
  }
  if (entry.contextGlobs?.length) {
    // The same expansion as rendering (src/prompt/render-prompt.ts), which finds the inputs.
    const { glob } = requireCjs("tinyglobby") as typeof import("tinyglobby"); // see requireCjs
    const matches = await glob(entry.contextGlobs, {
      cwd: root,
      onlyFiles: true,
      ignore: CONTEXT_IGNORE,
      expandDirectories: false,
    });
    if (matches.some((m) => !(m in entry.inputs))) return false;
  }
  return true;
}

function asPcError(error: unknown, prompt: string): PcError {
  return toPcError(error, "PC_FRONTMATTER_INVALID", { file: prompt, prefix: "cannot be read: " });
}
