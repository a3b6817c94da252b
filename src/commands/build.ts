import { existsSync } from "node:fs";
import path from "node:path";
import type { BuildEvent, ExecuteOptions } from "../execute/build-run.js";
import { acquireBuildMutex } from "../execute/build-mutex.js";
import { LOCK_FILE, serializeLock } from "../lock/lockfile.js";
import {
  nothingToDo,
  pinnedModel,
  planBuild,
  readsNoPendingOutput,
  type BuildOutcome,
  type BuildPlan,
  type PromptBuildResult,
} from "../plan/build-plan.js";
import { isHashed, loadProject, type Project } from "../plan/project.js";
import { computeStates } from "../plan/states.js";
import { readIfExists } from "../util/fs.js";
import type { PcError } from "../util/errors.js";

export type { BuildEvent } from "../execute/build-run.js";
export type { BuildOutcome, PromptBuildResult } from "../plan/build-plan.js";

export interface BuildOptions extends ExecuteOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** Limit the build to these prompts (and what they depend on). */
  paths?: string[];
  /** Regenerate even fresh prompts, and overwrite hand-edited (drifted) outputs. */
  force?: boolean;
  /** Plan only: report what would be built and why, make no request and write nothing. */
  dryRun?: boolean;
}

/** The lock entry of a prompt whose file is gone, dropped by a build of the whole project. */
export interface DroppedEntry {
  prompt: string;
  /** Its recorded outputs that are still on disk (kept: pc never deletes them). */
  outputsKept: string[];
}

export interface BuildReport {
  ok: boolean;
  dryRun: boolean;
  prompts: PromptBuildResult[];
  /** Orphaned lock entries dropped (or, in a dry run, that would be). */
  dropped: DroppedEntry[];
  totals: Record<BuildOutcome, number> & { promptTokens: number; completionTokens: number };
  durationMs: number;
  /** ISO time the build finished. */
  finishedAt: string;
  /** Bookkeeping that could not be written (the failure record); the build is not ok then. */
  warnings: PcError[];
}

/** Regenerates what changed: new, stale, missing and failed prompts, in dependency order. */
export async function build(options: BuildOptions = {}): Promise<BuildReport> {
  const started = performance.now();
  const cwd = options.cwd ?? process.cwd();
  // Planned before the build mutex is taken: a build with nothing to do writes nothing, so it needs
  // no mutex (loading proper-lockfile is a measurable part of a no-op build; see bench/RESULTS.md).
  // Any other build takes the mutex, then plans again if another build changed the lock meanwhile.
  let { project, plan } = await planProject(cwd, options);
  let release: (() => Promise<void>) | undefined;
  if (!options.dryRun && !nothingToDo(plan)) {
    void loadExecution(); // node reads its files while the mutex is being taken
    release = await acquireBuildMutex(cwd, outputFolders(project));
    if ((await readIfExists(path.join(cwd, LOCK_FILE)))?.toString("utf8") !== project.lockText)
      ({ project, plan } = await planProject(cwd, options));
  }
  try {
    options.onEvent?.({
      type: "plan",
      targets: plan.targets.map((s) => ({ prompt: s.prompt, state: s.state, reasons: s.reasons })),
    });
    const dropped = await dropOrphans(project, plan, options.dryRun ?? false);
    // Nothing to build: no engine, no write (not even of unchanged bookkeeping files).
    const warnings: PcError[] = [];
    const results = options.dryRun
      ? await dryRunResults(project, plan, options)
      : plan.targets.length === 0
        ? plan.others
        : await (await loadExecution()).executeBuild(project, plan, { ...options, warnings });
    // The file hash record, written only when this run learned hashes (atomically: another build may run).
    await project.files.save().catch(() => {});
    return report(results, dropped, options.dryRun ?? false, started, warnings);
  } finally {
    await release?.();
  }
}

/** Execution is loaded only when something is built: its modules are a measurable part of a no-op build's start-up. */
const loadExecution = () => import("../execute/build-run.js");

async function planProject(cwd: string, options: BuildOptions): Promise<{ project: Project; plan: BuildPlan }> {
  // A prompt reverted to text built before restores from the cache: it need not be rendered.
  const project = await loadProject(cwd, { recall: (options.cache ?? true) && !options.force });
  return { project, plan: planBuild(project, await computeStates(project), cwd, options) };
}

/** What a build would do; a prompt it would restore from the cache says so (`source: "cache"`). */
async function dryRunResults(project: Project, plan: BuildPlan, options: BuildOptions): Promise<PromptBuildResult[]> {
  const restorable = await restorablePrompts(project, plan, options);
  return [
    ...plan.targets.map((s): PromptBuildResult => {
      const cached = restorable.has(s.prompt);
      const reasons = cached ? [...s.reasons, "restores from the cache (no model call)"] : s.reasons;
      return {
        prompt: s.prompt,
        outcome: "planned",
        reasons,
        outputs: s.outputs,
        model: pinnedModel(project, s.prompt),
        source: cached ? "cache" : undefined,
      };
    }),
    ...plan.others,
  ];
}

/**
 * The planned prompts a build would restore from the cache: those whose request is known now (no
 * dependency is built before them) and for which a cached generation fits it.
 */
async function restorablePrompts(project: Project, plan: BuildPlan, options: BuildOptions): Promise<Set<string>> {
  const found = new Set<string>();
  if (!(options.cache ?? true) || plan.targets.length === 0) return found;
  const [{ GenerationStore }, { restore }, { Formatter }] = await Promise.all([
    import("../cache/store.js"),
    import("../execute/generate.js"),
    import("../answer/format.js"),
  ]);
  const store = new GenerationStore(project.root);
  const formatter = new Formatter(project.root);
  for (const s of plan.targets) {
    const loaded = project.prompts.get(s.prompt);
    if (!loaded || plan.forced.has(s.prompt) || !isHashed(loaded) || !readsNoPendingOutput(project, loaded)) continue;
    if (await restore(loaded, { root: project.root, store, formatter })) found.add(s.prompt);
  }
  return found;
}

/**
 * Drops the lock entries of prompts that are gone (their outputs stay on disk: deleting files is
 * the user's call). An earlier entry for the prompt's text stays in the cache, so restoring the
 * prompt later restores its outputs without a model call.
 */
async function dropOrphans(project: Project, plan: BuildPlan, dryRun: boolean): Promise<DroppedEntry[]> {
  const dropped = plan.orphans.map((s) => ({
    prompt: s.prompt,
    outputsKept: s.outputs.filter((o) => existsSync(path.join(project.root, o))),
  }));
  if (dryRun || dropped.length === 0) return dropped;
  for (const { prompt } of dropped) delete project.lock.prompts[prompt];
  const { writeLock } = await import("../lock/lock-io.js");
  await writeLock(project.root, project.lock, project.lockText);
  project.lockText = serializeLock(project.lock);
  return dropped;
}

/** The folders the project's outputs are in (where a killed build may have left temp files). */
function outputFolders(project: Project): string[] {
  return [...new Set([...project.graph.owners.keys()].map((o) => path.posix.dirname(o)))];
}

function report(
  prompts: PromptBuildResult[],
  dropped: DroppedEntry[],
  dryRun: boolean,
  started: number,
  warnings: PcError[],
): BuildReport {
  const totals = {
    built: 0,
    cached: 0,
    fresh: 0,
    failed: 0,
    skipped: 0,
    drifted: 0,
    planned: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
  for (const p of prompts) {
    totals[p.outcome]++;
    totals.promptTokens += p.usage?.promptTokens ?? 0;
    totals.completionTokens += p.usage?.completionTokens ?? 0;
  }
  // A drifted output is kept, but the project is not what its prompts produce until it is resolved.
  const ok = totals.failed === 0 && totals.skipped === 0 && totals.drifted === 0;
  return {
    ok: ok && warnings.length === 0,
    dryRun,
    prompts,
    dropped,
    totals,
    durationMs: Math.round(performance.now() - started),
    finishedAt: new Date().toISOString(),
    warnings,
  };
}
