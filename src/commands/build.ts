import { PcError } from "../util/errors.js";
import type { GenerationProgress } from "../engine/types.js";
import { LOCK_FILE, type OutputSource } from "../lock/lockfile.js";
import { writeFailures } from "../plan/failures.js";
import { loadProject, parseRecord, renderRecord, type Project, type PromptRecord } from "../plan/project.js";
import { BUILDABLE, computeStates, type PromptStatus } from "../plan/states.js";
import { beginCommit, endCommit } from "../util/commit.js";
import { readIfExists, sha256 } from "../util/fs.js";
import { selectPrompts, withDependencies } from "../plan/select.js";
import type { Produced } from "../execute/generate.js";
import type { EngineEvent, EngineOptions } from "../execute/engines.js";
import { acquireProjectLock } from "../execute/project-lock.js";
import path from "node:path";

export interface BuildOptions extends EngineOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** Limit the build to these prompts (and what they depend on). */
  paths?: string[];
  /** Regenerate even fresh prompts, and overwrite hand-edited (drifted) outputs. */
  force?: boolean;
  /** Plan only: report what would be built and why, make no request and write nothing. */
  dryRun?: boolean;
  /** Prompts generated concurrently (default: pc.config.json's `jobs`, else 1). */
  jobs?: number;
  /** Read the generation cache (default true). */
  cache?: boolean;
  /** Restore from the cache only; prompts that need a model fail. */
  offline?: boolean;
  /** Aborts in-flight generations; finished prompts stay recorded. */
  signal?: AbortSignal;
  /**
   * Called when a prompt starts; the signal it returns cancels that prompt alone (pc watch cancels
   * a prompt edited again while it generates). A cancelled prompt is `skipped` with the signal's reason.
   */
  promptSignal?: (prompt: string) => AbortSignal | undefined;
  onEvent?: (event: BuildEvent) => void;
}

/** `planned`: a dry run would build it. */
export type BuildOutcome = "built" | "cached" | "fresh" | "failed" | "skipped" | "drifted" | "planned";

export interface PromptBuildResult {
  prompt: string;
  outcome: BuildOutcome;
  /** Why it was (or would be) built, or why it was not. */
  reasons: string[];
  outputs: string[];
  source?: OutputSource;
  /** The pinned model (from the prompt, else from its lock entry); unknown for a prompt that cannot be parsed. */
  model?: string;
  usage?: { promptTokens: number; completionTokens: number };
  durationMs?: number;
  error?: PcError;
}

export type BuildEvent =
  | { type: "plan"; targets: Array<{ prompt: string; state: string; reasons: string[] }> }
  | { type: "start"; prompt: string; model: string }
  | { type: "progress"; prompt: string; tokens: number; elapsedMs: number }
  | { type: "done"; result: PromptBuildResult }
  | EngineEvent;

export interface BuildReport {
  ok: boolean;
  dryRun: boolean;
  prompts: PromptBuildResult[];
  totals: Record<BuildOutcome, number> & { promptTokens: number; completionTokens: number };
  durationMs: number;
  /** ISO time the build finished. */
  finishedAt: string;
}

/** Regenerates what changed: new, stale, missing and failed prompts, in dependency order. */
export async function build(options: BuildOptions = {}): Promise<BuildReport> {
  const started = performance.now();
  const cwd = options.cwd ?? process.cwd();
  // Planned before the project lock is taken: a build with nothing to do writes nothing, so it needs
  // no lock (loading proper-lockfile alone was ~13 ms of a ~250 ms no-op build of 1,000 prompts).
  // Any other build takes the lock, then plans again if another build changed the lock meanwhile.
  let { project, plan } = await planProject(cwd, options);
  let release: (() => Promise<void>) | undefined;
  if (!options.dryRun && !nothingToDo(plan)) {
    void loadStages(); // node reads their files while the lock is being taken
    release = await acquireProjectLock(cwd);
    if ((await readIfExists(path.join(cwd, LOCK_FILE)))?.toString("utf8") !== project.lockText) ({ project, plan } = await planProject(cwd, options));
  }
  try {
    options.onEvent?.({ type: "plan", targets: plan.targets.map((s) => ({ prompt: s.prompt, state: s.state, reasons: s.reasons })) });
    // Nothing to build: no engine, no write (not even of unchanged bookkeeping files).
    const results = options.dryRun ? await dryRunResults(project, plan, options) : plan.targets.length === 0 ? plan.others : await execute(project, plan, options);
    // The file hash record, written only when this run learned hashes (atomically: another build may run).
    await project.files.save().catch(() => {});
    return report(results, options.dryRun ?? false, started);
  } finally {
    await release?.();
  }
}

/** The stages after planning, loaded only when something is built: they were ~10 ms of a no-op build's start-up. */
const loadStages = () =>
  Promise.all([
    import("../cache/store.js"),
    import("../cache/entries.js"),
    import("../answer/format.js"),
    import("../execute/generate.js"),
    import("../execute/engines.js"),
    import("../execute/record.js"),
    import("../execute/lock-recorder.js"),
    import("../execute/write-outputs.js"),
  ]);

async function planProject(cwd: string, options: BuildOptions): Promise<{ project: Project; plan: BuildPlan }> {
  // A prompt reverted to text built before restores from the cache: it need not be rendered.
  const project = await loadProject(cwd, { recall: (options.cache ?? true) && !options.force });
  return { project, plan: planBuild(project, await computeStates(project), cwd, options) };
}

/** Every selected prompt is fresh: nothing to generate, nothing to report as drifted or failed. */
function nothingToDo(plan: BuildPlan): boolean {
  return plan.targets.length === 0 && plan.others.every((o) => o.outcome === "fresh");
}

interface BuildPlan {
  /** Prompts to build, in dependency order. */
  targets: PromptStatus[];
  /** Selected prompts that are not built, with their outcome. */
  others: PromptBuildResult[];
  forced: Set<string>;
}

function planBuild(project: Project, statuses: PromptStatus[], cwd: string, options: BuildOptions): BuildPlan {
  const selected = selectPrompts(project, cwd, options.paths);
  const explicit = new Set(selected ?? statuses.map((s) => s.prompt));
  const scope = selected ? withDependencies(project, selected) : explicit;
  const forced = new Set(options.force ? [...explicit] : []);
  const targets: PromptStatus[] = [];
  const others: PromptBuildResult[] = [];
  for (const s of statuses) {
    if (!scope.has(s.prompt)) continue;
    const base = { prompt: s.prompt, outputs: s.outputs, reasons: s.reasons, source: s.source, model: pinnedModel(project, s.prompt) };
    if (s.state === "invalid") others.push({ ...base, outcome: "failed", error: s.error });
    else if (s.state === "orphaned") continue;
    else if (forced.has(s.prompt)) targets.push({ ...s, reasons: s.state === "fresh" ? ["--force"] : s.reasons });
    else if (s.state === "drifted") others.push({ ...base, outcome: "drifted" });
    else if (BUILDABLE.has(s.state)) targets.push(s);
    else others.push({ ...base, outcome: "fresh" });
  }
  return { targets, others, forced };
}

function pinnedModel(project: Project, prompt: string): string | undefined {
  const record = project.records.get(prompt);
  return record?.parsed?.frontmatter.model ?? record?.recalled?.model ?? record?.entry?.model;
}

/** What a build would do; a prompt it would restore from the cache says so (`source: "cache"`). */
async function dryRunResults(project: Project, plan: BuildPlan, options: BuildOptions): Promise<PromptBuildResult[]> {
  const restorable = await restorablePrompts(project, plan, options);
  return [
    ...plan.targets.map((s): PromptBuildResult => {
      const cached = restorable.has(s.prompt);
      const reasons = cached ? [...s.reasons, "restores from the cache (no model call)"] : s.reasons;
      return { prompt: s.prompt, outcome: "planned", reasons, outputs: s.outputs, model: pinnedModel(project, s.prompt), source: cached ? "cache" : undefined };
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
  const [{ GenerationStore }, { restore }] = await Promise.all([import("../cache/store.js"), import("../execute/generate.js")]);
  const store = new GenerationStore(project.root);
  for (const s of plan.targets) {
    const record = project.records.get(s.prompt)!;
    if (plan.forced.has(s.prompt) || !record.hashes || !readsNoPendingOutput(project, record)) continue;
    if (await restore(record, { root: project.root, store })) found.add(s.prompt);
  }
  return found;
}

/** The prompt reads no output of another prompt (nor waits for one): what planning found for it holds during the build. */
function readsNoPendingOutput(project: Project, record: PromptRecord): boolean {
  return !record.waitsFor && !project.graph.dependsOn.get(record.prompt)?.length;
}

async function execute(project: Project, plan: BuildPlan, options: BuildOptions): Promise<PromptBuildResult[]> {
  const { root, config } = project;
  const [{ GenerationStore }, { EarlierEntries }, { preloadFormatter }, { produce, restore }, { enginePoolFor }, { lockEntryFor }, { LockRecorder }, { replaceOutputs, writeFailed }] =
    await loadStages();
  const store = new GenerationStore(root);
  const engines = enginePoolFor(project, options, options.onEvent);
  // Loaded while the first requests are out, rather than after the first answer arrives.
  preloadFormatter(plan.targets.flatMap((t) => t.outputs));
  const owners = project.graph.owners;
  const results = new Map<string, PromptBuildResult>();
  const done = new Map<string, Promise<PromptBuildResult>>();
  const lock = new LockRecorder(root, project.lock, project.lockText);
  const earlier = new EarlierEntries(root);
  const remembering: Array<Promise<boolean>> = [];
  const failures = { ...project.failures };

  /**
   * Builds one prompt. `restoreOnly`: restore it from the cache or return undefined when it needs the
   * model (then it is built again in a generation slot); restores take no slot, as they call no model.
   * Cache lookups run one at a time, in plan order: a prompt that needs the model then asks for its
   * slot before the next lookup ends, so with -j 1 requests go out in plan order. Writing and
   * recording a restore is not part of the lookup, so restores' lock writes are batched.
   */
  function buildOne(status: PromptStatus, restoreOnly: true): Promise<PromptBuildResult | undefined>;
  function buildOne(status: PromptStatus): Promise<PromptBuildResult>;
  async function buildOne(status: PromptStatus, restoreOnly = false): Promise<PromptBuildResult | undefined> {
    const record = project.records.get(status.prompt)!;
    const base = { prompt: status.prompt, outputs: status.outputs, reasons: status.reasons, model: pinnedModel(project, status.prompt) };
    const deps = (project.graph.dependsOn.get(status.prompt) ?? []).map((d) => done.get(d)).filter(Boolean);
    const depResults = await Promise.all(deps);
    const blocked = depResults.find((r) => r!.outcome === "failed" || r!.outcome === "skipped");
    if (blocked) return { ...base, outcome: "skipped", reasons: [`dependency ${blocked!.prompt} ${blocked!.outcome === "failed" ? "failed" : "was skipped"}`] };
    let own: AbortSignal | undefined;
    try {
      const force = plan.forced.has(status.prompt);
      const entry = project.lock.prompts[record.prompt];
      // Rendered while planning (or, for a restore, its hashes recalled from an earlier entry), and it
      // reads no other prompt's output: nothing has changed since.
      const current = (restoring: boolean) =>
        readsNoPendingOutput(project, record) && (record.rendered !== undefined || (restoring && record.recalled !== undefined));
      const unchanged = async () =>
        !force && entry !== undefined && !entry.stale && entry.inputHash === record.hashes!.inputHash && (await outputsMatch(project, record, entry.outputs));
      let produced: Produced | "interrupted" | "unchanged";
      if (restoreOnly) {
        // --force asks for a new generation: restoring the cached one would just repeat the old answer.
        if (force || !(options.cache ?? true)) return undefined;
        if (options.signal?.aborted) return { ...base, outcome: "skipped", reasons: ["interrupted"] };
        if (!current(true)) await prepare(project, record, owners);
        if (await unchanged()) produced = "unchanged";
        else {
          const restored = await lookups(() => restore(record, { root, store }));
          if (!restored) return undefined;
          options.onEvent?.({ type: "start", prompt: record.prompt, model: restored.generation.model });
          produced = restored;
        }
      } else {
        // A slot is held to render and generate, and given back before writing: the next request
        // goes out while this answer is formatted, written and recorded.
        produced = await slot(async () => {
          if (options.signal?.aborted) return "interrupted" as const;
          if (!current(false)) await prepare(project, record, owners);
          if (await unchanged()) return "unchanged" as const;
          options.onEvent?.({ type: "start", prompt: record.prompt, model: record.parsed!.frontmatter.model });
          own = options.promptSignal?.(record.prompt);
          return produce(record, {
            root,
            store,
            engines,
            cache: false, // the restore pass before this one already looked
            offline: options.offline ?? false,
            signal: own && options.signal ? AbortSignal.any([options.signal, own]) : (own ?? options.signal),
            onProgress: (p: GenerationProgress) => options.onEvent?.({ type: "progress", ...p }),
          });
        });
      }
      if (produced === "interrupted") return { ...base, outcome: "skipped", reasons: ["interrupted"] };
      // A dependency was rebuilt with identical bytes: nothing this prompt reads has changed.
      if (produced === "unchanged") return { ...base, outcome: "fresh", reasons: ["inputs unchanged after its dependencies were built"] };
      if (produced.source === "llm") await store.save(produced.generation);
      // Cancelled after the answer arrived: it stays in the cache, but the outputs are not replaced.
      if (own?.aborted) throw new PcError("PC_ABORTED", "cancelled", { file: record.prompt });
      if (!force) await refuseDrift(project, record, entry?.outputs, produced.outputs);
      // Outputs and their lock entry are one commit: an exit asked for meanwhile waits for it.
      if (!beginCommit()) return { ...base, outcome: "skipped", reasons: ["interrupted"] };
      try {
        const written = await replaceOutputs(root, record.prompt, produced.outputs);
        for (const o of Object.keys(written.hashes)) project.files.forget(o);
        try {
          const entry = lockEntryFor(record, written.hashes, produced.source, produced.generation);
          await lock.record(record.prompt, entry);
          // Kept for the prompt's text, so reverting to it later restores without rendering.
          const known = record.recalled?.requestHash === entry.requestHash && record.recalled.inputHash === entry.inputHash;
          if (!known) remembering.push(earlier.remember(record.prompt, entry).catch(() => false));
        } catch (error) {
          // Outputs the lock does not vouch for would look hand-edited: put them back.
          await written.undo();
          for (const o of Object.keys(written.hashes)) project.files.forget(o);
          throw writeFailed(record.prompt, "cannot record its outputs in promptfile.lock, so they were put back", (error as Error).cause ?? error);
        }
      } finally {
        endCommit();
      }
      delete failures[record.prompt];
      const g = produced.generation;
      return {
        ...base,
        outcome: produced.source === "llm" ? "built" : "cached",
        source: produced.source,
        model: g.model,
        usage: produced.source === "llm" ? g.usage : undefined,
        durationMs: produced.source === "llm" ? g.durationMs : undefined,
      };
    } catch (error) {
      const pcError = error instanceof PcError ? error : new PcError("PC_ENGINE_ERROR", (error as Error).message, { file: record.prompt, cause: error });
      if (pcError.code === "PC_ABORTED") {
        const cancelled = own?.aborted && !options.signal?.aborted;
        return { ...base, outcome: "skipped", reasons: [cancelled ? `cancelled: ${reasonOf(own!)}` : "interrupted"] };
      }
      // --offline says nothing about the prompt itself: it stays stale, not failed.
      if (pcError.code === "PC_OFFLINE") return { ...base, outcome: "failed", error: pcError };
      if (record.hashes) failures[record.prompt] = { inputHash: record.hashes.inputHash, code: pcError.code, message: pcError.message };
      return { ...base, outcome: "failed", error: pcError };
    }
  }

  const slot = limiter(Math.max(1, options.jobs ?? config.jobs ?? 1));
  const lookups = limiter(1);
  for (const status of plan.targets) {
    // Dependencies are awaited before asking for a slot, so a waiting prompt never holds one.
    const deps = (project.graph.dependsOn.get(status.prompt) ?? []).map((d) => done.get(d)).filter(Boolean);
    const promise = Promise.all(deps).then(async () => (await buildOne(status, true)) ?? buildOne(status));
    done.set(status.prompt, promise.then((r) => {
      results.set(r.prompt, r);
      options.onEvent?.({ type: "done", result: r });
      return r;
    }));
  }
  try {
    await Promise.all(done.values());
  } finally {
    await Promise.all([lock.settled(), engines.close(), writeFailures(root, failures).catch(() => {}), ...remembering]);
  }
  return [...plan.targets.map((s) => results.get(s.prompt)!), ...plan.others];
}


/** Runs at most `limit` pieces of work at a time, in the order they asked. */
function limiter(limit: number): <T>(work: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: Array<() => void> = [];
  return async (work) => {
    // A freed place is handed straight to the next waiter, so a newcomer cannot take it in between.
    if (running >= limit) await new Promise<void>((resolve) => queue.push(resolve));
    else running++;
    try {
      return await work();
    } finally {
      const next = queue.shift();
      if (next) next();
      else running--;
    }
  };
}

/** Parses (if the planner took its hashes from a lock entry) and renders again: dependencies may have just changed. */
async function prepare(project: Project, record: PromptRecord, owners: Map<string, string>): Promise<void> {
  await parseRecord(project.root, record);
  for (const input of record.inputs) project.files.forget(input);
  await renderRecord(project.root, record, project.files, owners);
  if (record.error) throw record.error;
  if (record.waitsFor) {
    throw new PcError("PC_FILE_UNREADABLE", `reads an output of ${record.waitsFor} that does not exist`, {
      file: record.prompt,
      hint: `Build ${record.waitsFor} first (pc build ${record.waitsFor}).`,
    });
  }
}

async function outputsMatch(project: Project, record: PromptRecord, recorded: Record<string, string>): Promise<boolean> {
  const current = await Promise.all(record.outputs.map((o) => project.files.hash(o)));
  return record.outputs.every((o, i) => current[i] !== undefined && current[i] === recorded[o]);
}

/**
 * Checked again right before writing: an output edited by hand during the build is still protected.
 * A file that already holds the bytes about to be written loses nothing (a stopped build wrote it).
 */
async function refuseDrift(project: Project, record: PromptRecord, recorded: Record<string, string> | undefined, writing: Record<string, string>): Promise<void> {
  for (const output of record.outputs) {
    project.files.forget(output);
    const current = await project.files.hash(output);
    if (current !== undefined && current !== recorded?.[output] && !(output in writing && current === sha256(writing[output]!))) {
      throw new PcError("PC_OUTPUT_DRIFTED", `${output} was edited by hand; it is not overwritten`, {
        file: record.prompt,
        hint: "Keep the edit with `pc accept`, or replace it with `pc build --force`.",
      });
    }
  }
}

function reasonOf(signal: AbortSignal): string {
  const reason = signal.reason as unknown;
  return reason instanceof Error ? reason.message : typeof reason === "string" ? reason : "aborted";
}

function report(prompts: PromptBuildResult[], dryRun: boolean, started: number): BuildReport {
  const totals = { built: 0, cached: 0, fresh: 0, failed: 0, skipped: 0, drifted: 0, planned: 0, promptTokens: 0, completionTokens: 0 };
  for (const p of prompts) {
    totals[p.outcome]++;
    totals.promptTokens += p.usage?.promptTokens ?? 0;
    totals.completionTokens += p.usage?.completionTokens ?? 0;
  }
  // A drifted output is kept, but the project is not what its prompts produce until it is resolved.
  const ok = totals.failed === 0 && totals.skipped === 0 && totals.drifted === 0;
  return { ok, dryRun, prompts, totals, durationMs: Math.round(performance.now() - started), finishedAt: new Date().toISOString() };
}
