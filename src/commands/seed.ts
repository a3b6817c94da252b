import { Formatter } from "../answer/format.js";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { GenerationStore, type CheckVerdict, type Generation } from "../cache/store.js";
import { engineKindOf } from "../engine/engine-factory.js";
import type { GenerationProgress } from "../engine/types.js";
import { checkPrompt, checksOf, knownVerdict } from "../execute/checks.js";
import { enginePoolFor, type EngineEvent, type EngineOptions } from "../execute/engines.js";
import { produce } from "../execute/generate.js";
import { acquireBuildMutex } from "../execute/build-mutex.js";
import { replaceOutputs } from "../execute/write-outputs.js";
import { renderOne, selectOnePrompt, withPins } from "../plan/one-prompt.js";
import { loadProject, type Project, type RenderedStage } from "../plan/project.js";
import { pinSeed } from "../prompt/pin-seed.js";
import { PcError } from "../util/errors.js";
import { writeFileAtomic } from "../util/fs.js";
import { build, type BuildReport } from "./build.js";

export interface SeedOptions extends EngineOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** The prompt file (or one of its outputs), relative to cwd. */
  prompt: string;
  /** How many seeds to try (default 10). */
  tries?: number;
  /** The first seed tried (default 1). */
  from?: number;
  /** Write the first passing seed into the prompt's frontmatter and build the prompt with it. */
  pin?: boolean;
  /** Seeds generated at once, when the engine serves several requests (a server; default 1). */
  jobs?: number;
  signal?: AbortSignal;
  onEvent?: (event: SeedEvent) => void;
}

/** One seed tried. */
export interface SeedTry {
  seed: number;
  /** Undefined when no generation came back (see error). */
  passed?: boolean;
  /** `cache`: the generation (and, where the checks are unchanged, their verdict) was stored already. */
  source?: "llm" | "cache";
  generation?: string;
  tokens?: number;
  /** Time to get the generation and check it. */
  durationMs: number;
  /** Why the checks failed, or why no generation came back. */
  failure?: string;
  error?: PcError;
}

export interface SeedReport {
  prompt: string;
  tries: SeedTry[];
  /** The lowest seed whose generation passed the checks. */
  passed?: number;
  /** The build that pinned it (with `pin`). */
  build?: BuildReport;
}

export type SeedEvent =
  | { type: "start"; seed: number }
  | { type: "progress"; seed: number; tokens: number }
  | { type: "done"; result: SeedTry }
  | EngineEvent;

/**
 * Searches for a seed whose generation passes the prompt's checks: generates with seeds `from`,
 * `from + 1`, ... (every generation is cached, so trying a seed again costs no model call), checks
 * each, and puts the outputs back as they were. With `pin`, the first passing seed is written into
 * the prompt and the prompt is built, restoring that generation from the cache.
 */
export async function seed(options: SeedOptions): Promise<SeedReport> {
  const cwd = options.cwd ?? process.cwd();
  const { tries = 10, from = 1 } = options;
  if (!Number.isInteger(tries) || tries < 1)
    throw new PcError("PC_USAGE", `--try must be a whole number of seeds, at least 1, got ${tries}`);
  if (!Number.isInteger(from)) throw new PcError("PC_USAGE", `--from must be a whole number, got ${from}`);
  const project = await loadProject(cwd);
  const prompt = selectOnePrompt(project, cwd, options.prompt, "seed");
  const loaded = await renderOne(project, prompt);
  if (!checksOf(loaded)) {
    throw new PcError("PC_USAGE", "has no check to try seeds against", {
      file: prompt,
      key: "check",
      hint: "Add a command that proves a generation works, e.g. check: python3 -m py_compile generated/fib.py",
    });
  }
  // The outputs are written while their checks run: no build may write them meanwhile.
  const release = await acquireBuildMutex(project.root);
  let report: SeedReport;
  try {
    report = await trySeeds(project, loaded, options, { tries, from });
  } finally {
    await release();
  }
  if (options.pin && report.passed !== undefined) {
    await pinPassingSeed(project.root, prompt, report.passed);
    report.build = await build({ ...options, cwd: project.root, paths: [prompt], onEvent: undefined });
  }
  return report;
}

async function trySeeds(
  project: Project,
  loaded: RenderedStage,
  options: SeedOptions,
  range: { tries: number; from: number },
): Promise<SeedReport> {
  const store = new GenerationStore(project.root);
  const formatter = new Formatter(project.root);
  const engines = enginePoolFor(project, options, (event) => options.onEvent?.(event));
  // The embedded engine runs one generation at a time; a server can take several.
  const jobs = engineKindOf(loaded.parsed.frontmatter.model) === "embedded" ? 1 : Math.max(1, options.jobs ?? 1);
  const seeds = Array.from({ length: range.tries }, (_, i) => range.from + i);
  const results = new Map<number, SeedTry>();
  let checking = Promise.resolve();

  const tryOne = async (seedValue: number): Promise<SeedTry> => {
    const started = performance.now();
    options.onEvent?.({ type: "start", seed: seedValue });
    try {
      const candidate = await withPins(project, loaded, { seed: seedValue });
      const produced = await produce(candidate, {
        root: project.root,
        formatter,
        store,
        engines,
        cache: true,
        offline: false,
        signal: options.signal,
        onProgress: (p: GenerationProgress) =>
          options.onEvent?.({ type: "progress", seed: seedValue, tokens: p.tokens }),
      });
      const generation: Generation = { ...produced.generation, outputs: produced.outputs };
      // Checks run one at a time: each writes its candidate where the check reads it.
      const verdict = await new Promise<CheckVerdict>((resolve, reject) => {
        checking = checking.then(() =>
          verdictFor(project.root, candidate, generation, options.signal).then(resolve, reject),
        );
      });
      if (produced.source === "llm" || generation.checks !== verdict)
        await store.save({ ...generation, checks: verdict });
      return {
        seed: seedValue,
        passed: verdict.passed,
        source: produced.source,
        generation: generation.id,
        tokens: generation.usage?.completionTokens,
        durationMs: Math.round(performance.now() - started),
        failure: verdict.failure,
      };
    } catch (error) {
      // A seed whose answer has no code (or a server error) fails that seed; pc's own bugs stop the search.
      if (!(error instanceof PcError) || options.signal?.aborted) throw error;
      return { seed: seedValue, durationMs: Math.round(performance.now() - started), failure: error.message, error };
    }
  };

  try {
    let next = 0;
    const worker = async () => {
      while (next < seeds.length && !(options.pin && lowestPassing(seeds, results) !== undefined)) {
        const seedValue = seeds[next++];
        const result = await tryOne(seedValue);
        results.set(seedValue, result);
        options.onEvent?.({ type: "done", result });
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, seeds.length) }, worker));
  } finally {
    await engines.close();
  }
  const tried = seeds.flatMap((s) => results.get(s) ?? []);
  return { prompt: loaded.prompt, tries: tried, passed: tried.find((t) => t.passed)?.seed };
}

/** The lowest passing seed once every lower seed is done: later seeds need not be tried (pin). */
function lowestPassing(seeds: number[], results: Map<number, SeedTry>): number | undefined {
  for (const s of seeds) {
    const r = results.get(s);
    if (!r) return undefined;
    if (r.passed) return s;
  }
  return undefined;
}

/**
 * The checks' verdict on a generation: the one it carries when its checks are unchanged, else the
 * checks are run with its bytes in place of the outputs, which get their previous bytes back after.
 */
async function verdictFor(
  root: string,
  loaded: RenderedStage,
  generation: Generation,
  signal?: AbortSignal,
): Promise<CheckVerdict> {
  const checks = checksOf(loaded);
  if (!checks) throw new Error(`${loaded.prompt} has no checks to seed`); // seed refuses such a prompt first
  const known = knownVerdict(checks.hash, generation.outputs, generation);
  if (known) return known;
  const written = await replaceOutputs(root, loaded.prompt, generation.outputs);
  try {
    return (await checkPrompt(root, loaded, checks, generation.outputs, signal)).verdict;
  } finally {
    await written.undo();
  }
}

/** Writes the seed into the prompt file, changing only that number. */
async function pinPassingSeed(root: string, prompt: string, seedValue: number): Promise<void> {
  const file = path.join(root, prompt);
  const text = await fsp.readFile(file, "utf8");
  await writeFileAtomic(file, pinSeed(prompt, text, seedValue));
}
