import { existsSync } from "node:fs";
import path from "node:path";
import { loadConfig, type ProjectConfig } from "../util/config.js";
import { CONTEXT_IGNORE, GLOB_CHARS, discoverPrompts } from "../prompt/discover.js";
import { PcError } from "../util/errors.js";
import { readLock } from "../lock/lock-io.js";
import type { Lock, LockEntry } from "../lock/lockfile.js";
import type { ParsedPrompt } from "../prompt/frontmatter.js";
import { PROTOCOL_VERSION } from "../prompt/protocol.js";
import type { RenderedPrompt } from "../prompt/render.js";
import { readIfExistsSync, resolveInside, sha256 } from "../util/fs.js";
import { requireCjs } from "../util/require-cjs.js";
import { readFailures, type FailureRecord } from "./failures.js";
import { FileHashes } from "./file-hashes.js";
import { buildGraph, type PromptGraph } from "./graph.js";
import { hashPrompt, type PromptHashes } from "./hash.js";

/** What is known about one prompt before anything is generated. */
export interface PromptRecord {
  prompt: string;
  outputs: string[];
  /** Paths of every input file (for the dependency graph). */
  inputs: string[];
  /** Current hash of each input, path -> sha256. */
  inputHashes: Record<string, string>;
  parsed?: ParsedPrompt;
  rendered?: RenderedPrompt;
  hashes?: PromptHashes;
  entry?: LockEntry;
  /** The prompt could not be parsed or rendered. */
  error?: PcError;
  /** An input is the output of another prompt that does not exist yet: render after it is built. */
  waitsFor?: string;
  /** Every input matches the lock entry: hashes were taken from the lock without rendering. */
  unchanged: boolean;
  /**
   * An entry recorded earlier for this exact prompt text whose inputs are all unchanged (a reverted
   * prompt): outputs, inputs and hashes were taken from it without parsing or rendering.
   */
  recalled?: LockEntry;
}

export interface Project {
  root: string;
  config: ProjectConfig;
  lock: Lock;
  lockText?: string;
  records: Map<string, PromptRecord>;
  graph: PromptGraph;
  files: FileHashes;
  failures: Record<string, FailureRecord>;
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

  // Pass 1: the unchanged check (no parsing), else parse. Outputs of every prompt are known after it.
  const records = new Map<string, PromptRecord>();
  await Promise.all(
    prompts.map(async (prompt) => {
      const entry = lock.prompts[prompt];
      const record: PromptRecord = { prompt, outputs: [], inputs: [], inputHashes: {}, entry, unchanged: false };
      records.set(prompt, record);
      if (!options.renderAll && entry && (await inputsUnchanged(root, entry, prompt, files))) {
        record.unchanged = true;
        takeHashes(record, entry);
        return;
      }
      const recalled = options.recall ? await recall(root, prompt, files) : undefined;
      if (recalled) {
        record.recalled = recalled;
        takeHashes(record, recalled);
        return;
      }
      // Changed: the bytes parsed are the bytes hashed. (Unchanged prompts are only hashed, by
      // FileHashes: holding 10,000 prompt files in memory for the few that changed is not worth it.)
      const bytes = readIfExistsSync(path.join(root, prompt));
      if (bytes === undefined) {
        record.error = new PcError("PC_PROMPT_NOT_FOUND", "the prompt file disappeared while it was read", { file: prompt });
        return;
      }
      try {
        // Imported here, not at the top: gray-matter (with js-yaml) and eta cost 10-60 ms of CPU to
        // load, which a no-op build, where every prompt is unchanged, never needs. The renderer is
        // asked for now too: node reads a module's files asynchronously, and the two loads overlap.
        void loadRenderer();
        const { parsePrompt } = await import("../prompt/frontmatter.js");
        record.parsed = parsePrompt(prompt, bytes.toString("utf8"));
        record.outputs = record.parsed.outputs;
        for (const output of record.outputs) resolveInside(root, output, { file: prompt, key: "output", what: "output" });
      } catch (error) {
        record.error = asPcError(error, prompt);
      }
      record.inputHashes = { [prompt]: sha256(bytes) };
    }),
  );

  const owners = ownersOf(records);

  // Pass 2: render what changed.
  await Promise.all([...records.values()].map((r) => (r.parsed && !r.error ? renderRecord(root, r, files, owners) : undefined)));

  const graph = buildGraph([...records.values()].map((r) => ({ prompt: r.prompt, outputs: r.outputs, inputs: r.inputs })));
  return { root, config, lock, lockText, records, graph, files, failures };
}

/** Output path -> the prompt that writes it (the first one, when two claim it: the graph reports that). */
export function ownersOf(records: Map<string, PromptRecord>): Map<string, string> {
  const owners = new Map<string, string>();
  for (const r of records.values()) for (const o of r.outputs) if (!owners.has(o)) owners.set(o, r.prompt);
  return owners;
}

/** Renders (again) a parsed prompt and computes its hashes; used by the planner and by the build. */
export async function renderRecord(root: string, record: PromptRecord, files: FileHashes, owners: Map<string, string>): Promise<void> {
  const parsed = record.parsed!;
  record.error = undefined;
  record.waitsFor = undefined;
  const promptHash = record.inputHashes[record.prompt];
  try {
    const { renderPrompt } = await loadRenderer(); // eta: only when something changed
    const rendered = renderPrompt(root, parsed, promptHash, files.texts);
    const inputs = { ...rendered.inputs };
    let modelFileHash: string | undefined;
    const modelFile = localModelPath(parsed.frontmatter.model);
    if (modelFile !== undefined) {
      if (modelFile === "" || modelFile === ".") {
        throw new PcError("PC_FRONTMATTER_INVALID", "model gguf: names no file", {
          file: record.prompt,
          key: "model",
          hint: "Give the GGUF file's path relative to the project root, e.g. model: gguf:models/qwen2.5-coder-1.5b-q4_k_m.gguf",
        });
      }
      resolveInside(root, modelFile, { file: record.prompt, key: "model", what: "model file" });
      modelFileHash = await files.hash(modelFile);
      if (!modelFileHash) {
        throw new PcError("PC_FILE_UNREADABLE", `model file "${modelFile}" does not exist`, {
          file: record.prompt,
          key: "model",
          hint: "gguf:<path> is relative to the project root, e.g. model: gguf:models/qwen2.5-coder-1.5b-q4_k_m.gguf",
        });
      }
      inputs[modelFile] = modelFileHash;
    }
    record.rendered = rendered;
    record.inputHashes = inputs;
    record.inputs = Object.keys(inputs);
    record.hashes = hashPrompt(parsed, rendered.messages, modelFileHash);
    waitFor(record, unbuiltMatches(root, record, owners), owners);
  } catch (error) {
    const missing = error instanceof PcError && error.code === "PC_FILE_UNREADABLE" ? /"([^"]+)" does not exist/.exec(error.message)?.[1] : undefined;
    const pending = missing !== undefined && owners.has(missing) && owners.get(missing) !== record.prompt ? [missing]
      : error instanceof PcError && error.code === "PC_CONTEXT_EMPTY" ? unbuiltMatches(root, record, owners) : [];
    if (pending.length > 0) return waitFor(record, pending, owners);
    record.error = asPcError(error, record.prompt);
  }
}

/**
 * Outputs of other prompts that the prompt's context globs match but that do not exist yet (the
 * files a glob found are inputs already): it reads them once they are built.
 */
function unbuiltMatches(root: string, record: PromptRecord, owners: Map<string, string>): string[] {
  const globs = (record.parsed?.frontmatter.context ?? []).filter((c) => GLOB_CHARS.test(c));
  if (globs.length === 0) return [];
  const candidates = unbuiltOutputs(root, owners).filter((output) => owners.get(output) !== record.prompt && !(output in record.inputHashes));
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
  if (!outputs) unbuilt.set(owners, (outputs = [...owners.keys()].filter((output) => !existsSync(path.join(root, output)))));
  return outputs;
}

/** The prompt is rendered again once the prompts that write `pending` are built (they are inputs for the graph). */
function waitFor(record: PromptRecord, pending: string[], owners: Map<string, string>): void {
  if (pending.length === 0) return;
  record.waitsFor = owners.get(pending[0]!);
  record.inputs = [...new Set([...Object.keys(record.inputHashes), ...pending])];
}

const loadRenderer = () => import("../prompt/render.js");

/** Parses a prompt whose hashes the planner took from a lock entry, unless it is parsed already. */
export async function parseRecord(root: string, record: PromptRecord): Promise<ParsedPrompt> {
  if (record.parsed) return record.parsed;
  const bytes = readIfExistsSync(path.join(root, record.prompt));
  if (!bytes) throw new PcError("PC_PROMPT_NOT_FOUND", "the prompt file disappeared", { file: record.prompt });
  const { parsePrompt } = await import("../prompt/frontmatter.js"); // gray-matter: see loadProject
  return (record.parsed = parsePrompt(record.prompt, bytes.toString("utf8")));
}

/** `gguf:<path>` names a model file in the project; its bytes are an input of the prompt. */
export function localModelPath(model: string): string | undefined {
  // Normalized, so `gguf:./models/a.gguf` and `gguf:models/a.gguf` are one input.
  if (!model.startsWith("gguf:")) return undefined;
  const file = model.slice(5).replace(/\\/g, "/");
  return file === "" ? "" : path.posix.normalize(file);
}

/** Outputs, inputs and hashes from a lock entry whose inputs all match the files: no parse, no render. */
function takeHashes(record: PromptRecord, entry: LockEntry): void {
  record.outputs = Object.keys(entry.outputs);
  record.inputs = Object.keys(entry.inputs);
  record.inputHashes = entry.inputs;
  record.hashes = { inputHash: entry.inputHash, requestHash: entry.requestHash };
}

/** The earlier entry for the prompt's current text whose inputs all still hold, if one was recorded. */
async function recall(root: string, prompt: string, files: FileHashes): Promise<LockEntry | undefined> {
  const promptHash = await files.hash(prompt);
  if (!promptHash) return undefined;
  const { EarlierEntries } = await import("../cache/entries.js"); // only for a changed prompt
  for (const entry of new EarlierEntries(root).recall(prompt, promptHash)) {
    if (await inputsUnchanged(root, entry, prompt, files)) return entry;
  }
  return undefined;
}

async function inputsUnchanged(root: string, entry: LockEntry, prompt: string, files: FileHashes): Promise<boolean> {
  if (entry.protocol !== PROTOCOL_VERSION || !entry.requestHash || !(prompt in entry.inputs)) return false;
  for (const [input, recorded] of Object.entries(entry.inputs)) {
    const current = files.hashNow(input);
    if ((current instanceof Promise ? await current : current) !== recorded) return false;
  }
  if (entry.contextGlobs?.length) {
    // The same expansion as rendering (src/prompt/render.ts), which finds the inputs.
    const { glob } = requireCjs("tinyglobby") as typeof import("tinyglobby"); // see requireCjs
    const matches = await glob(entry.contextGlobs, { cwd: root, onlyFiles: true, ignore: CONTEXT_IGNORE, expandDirectories: false });
    if (matches.some((m) => !(m in entry.inputs))) return false;
  }
  return true;
}

function asPcError(error: unknown, prompt: string): PcError {
  if (error instanceof PcError) return error;
  return new PcError("PC_FRONTMATTER_INVALID", `cannot be read: ${(error as Error).message}`, { file: prompt, cause: error });
}
