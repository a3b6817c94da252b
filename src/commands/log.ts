import { Formatter } from "../answer/format.js";
import { GenerationStore, type Generation, type GenerationSource } from "../cache/store.js";
import { restoreOutputs } from "../execute/generate.js";
import { loadProject, type Project } from "../plan/project.js";
import { sha256 } from "../util/fs.js";
import { renderOne, selectOnePrompt } from "../plan/one-prompt.js";

export interface LogOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** The prompt file (or one of its outputs), relative to cwd. */
  prompt: string;
}

/** One generation of a prompt, as `pc log` shows it. */
export interface LogEntry {
  id: string;
  /** ISO time the answer was received (or accepted). */
  createdAt: string;
  model: string;
  seed: number;
  temperature: number;
  source: GenerationSource;
  label?: string;
  usage?: { promptTokens: number; completionTokens: number };
  durationMs?: number;
  requestHash: string;
  /** path -> sha256 of the bytes written from it. */
  outputs: Record<string, string>;
  /** Its bytes are the prompt's outputs on disk now. */
  onDisk: boolean;
  /** What the prompt's checks said of it, when they ran on it. */
  checks?: { passed: boolean; durationMs: number; failure?: string };
}

export interface LogReport {
  prompt: string;
  /** Newest first. */
  generations: LogEntry[];
}

/** Lists a prompt's generations from the cache, newest first, marking the one on disk. Makes no request. */
export async function log(options: LogOptions): Promise<LogReport> {
  const cwd = options.cwd ?? process.cwd();
  const project = await loadProject(cwd);
  const prompt = selectOnePrompt(project, cwd, options.prompt, "log");
  const generations = await new GenerationStore(project.root).forPrompt(prompt);
  const onDisk = await generationsOnDisk(project, prompt, generations);
  return {
    prompt,
    generations: generations.map((g) => ({
      id: g.id,
      createdAt: g.createdAt,
      model: g.model,
      seed: g.seed,
      temperature: g.temperature,
      source: g.source,
      label: g.label,
      usage: g.usage,
      durationMs: g.durationMs,
      requestHash: g.requestHash,
      outputs: Object.fromEntries(Object.entries(g.outputs).map(([file, text]) => [file, sha256(text)])),
      onDisk: onDisk.has(g.id),
      checks: g.checks && { passed: g.checks.passed, durationMs: g.checks.durationMs, failure: g.checks.failure },
    })),
  };
}

/**
 * The generations whose bytes are on disk: their stored outputs equal the files, or (after the
 * post-processing changed, e.g. `format` toggled) the files are what restoring them gives now.
 */
export async function generationsOnDisk(
  project: Project,
  prompt: string,
  generations: Generation[],
): Promise<Set<string>> {
  const loaded = project.prompts.get(prompt);
  const entry = project.lock.prompts[prompt];
  const files = loaded?.outputs.length ? loaded.outputs : Object.keys(entry?.outputs ?? {});
  const disk = new Map(await Promise.all(files.map(async (f) => [f, await project.files.hash(f)] as const)));
  if (files.length === 0 || [...disk.values()].some((h) => h === undefined)) return new Set();
  const equalsDisk = (outputs: Record<string, string>) =>
    Object.keys(outputs).length === files.length &&
    files.every((f) => f in outputs && sha256(outputs[f]) === disk.get(f));

  const found = new Set(generations.filter((g) => equalsDisk(g.outputs)).map((g) => g.id));
  if (found.size > 0 || !loaded || !entry || !files.every((f) => entry.outputs[f] === disk.get(f))) return found;
  const candidates = generations.filter((g) => g.requestHash === entry.requestHash);
  if (candidates.length === 0) return found;
  // The files are what the lock recorded: a restore may have post-processed the answer differently.
  const current = await renderOne(project, prompt).catch(() => undefined);
  if (!current || current.hashes.requestHash !== entry.requestHash) return found;
  const formatter = new Formatter(project.root);
  for (const g of candidates) {
    const restored = await restoreOutputs(project.root, current, g, formatter);
    if (restored && equalsDisk(restored)) found.add(g.id);
  }
  return found;
}
