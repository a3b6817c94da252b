import { EarlierEntries } from "../cache/entries.js";
import { GenerationStore } from "../cache/store.js";
import { Formatter } from "../answer/format.js";
import type { EnginePool } from "../engine/engine-factory.js";
import type { BuildPlan, PromptBuildResult } from "../plan/build-plan.js";
import { writeFailures, type BuildFailure } from "../plan/failures.js";
import type { Project } from "../plan/project.js";
import { CommitGate } from "../util/commit-gate.js";
import { enginePoolFor } from "./engines.js";
import { writeFailure } from "../util/errors.js";
import { limiter, type Limiter } from "./limiter.js";
import { LockRecorder } from "./lock-recorder.js";
import { PromptExecution } from "./prompt-execution.js";
import type { ExecuteOptions, RunContext } from "./run-context.js";

export type { BuildEvent, ExecuteOptions } from "./run-context.js";

/**
 * One build's execution of its planned targets: what the prompts of the build share (the cache,
 * the engines, the lock being written, the failures to keep, the generation slots). Each target
 * runs as a PromptExecution once the prompts it reads are done.
 */
export class BuildRun implements RunContext {
  readonly store: GenerationStore;
  readonly formatter: Formatter;
  readonly engines: EnginePool;
  readonly lock: LockRecorder;
  readonly earlier: EarlierEntries;
  readonly commits: CommitGate;
  /** The last failure of each prompt, kept in .pc/failures.json once the build ends. */
  readonly failures: Record<string, BuildFailure>;
  /** Generation slots (-j): held to render and generate. */
  readonly slot: Limiter;
  /** Cache lookups, one at a time in plan order. */
  readonly lookups: Limiter = limiter(1);
  /** Each started prompt's result, by prompt: the prompts that read its outputs wait for it. */
  readonly done = new Map<string, Promise<PromptBuildResult>>();
  private readonly remembering: Array<Promise<boolean>> = [];

  constructor(
    readonly project: Project,
    readonly plan: BuildPlan,
    readonly options: ExecuteOptions,
  ) {
    const { root, config } = project;
    this.store = new GenerationStore(root);
    this.formatter = new Formatter(root);
    this.engines = enginePoolFor(project, options, options.onEvent);
    this.lock = new LockRecorder(root, project.lock, project.lockText);
    this.earlier = new EarlierEntries(root);
    this.commits = options.commits ?? new CommitGate();
    this.failures = { ...project.failures };
    this.slot = limiter(Math.max(1, options.jobs ?? config.jobs ?? 1));
  }

  /** Runs every target; returns their results in plan order, then the plan's other prompts. */
  async run(): Promise<PromptBuildResult[]> {
    // Loaded while the first requests are out, rather than after the first answer arrives.
    this.formatter.preload(this.plan.targets.flatMap((t) => t.outputs));
    const results = new Map<string, PromptBuildResult>();
    for (const status of this.plan.targets) {
      const execution = new PromptExecution(this, status);
      this.done.set(
        status.prompt,
        execution.execute().then((result) => {
          results.set(result.prompt, result);
          this.options.onEvent?.({ type: "done", result });
          return result;
        }),
      );
    }
    try {
      await Promise.all(this.done.values());
    } finally {
      await this.settle();
    }
    return [...this.plan.targets.flatMap((s) => results.get(s.prompt) ?? []), ...this.plan.others];
  }

  /** Keeps an earlier entry being written to .pc/entries/; the build waits for it before it ends. */
  remember(writing: Promise<boolean>): void {
    this.remembering.push(writing.catch(() => false));
  }

  private async settle(): Promise<void> {
    const recordFailures = writeFailures(this.project.root, this.failures).catch((error) => {
      this.options.warnings?.push(
        writeFailure("cannot record the failed prompts in .pc/failures.json", error, {
          file: ".pc/failures.json",
          unchanged:
            "The outputs and the lock are as this build left them; pc status may not say which prompts failed.",
        }),
      );
    });
    await Promise.all([this.lock.settled(), this.engines.close(), recordFailures, ...this.remembering]);
  }
}

/** Runs a build's planned targets (see BuildRun). */
export function executeBuild(project: Project, plan: BuildPlan, options: ExecuteOptions): Promise<PromptBuildResult[]> {
  return new BuildRun(project, plan, options).run();
}
