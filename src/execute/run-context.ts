import type { Formatter } from "../answer/format.js";
import type { PcError } from "../util/errors.js";
import type { EarlierEntries } from "../cache/entries.js";
import type { GenerationStore } from "../cache/store.js";
import type { EnginePool } from "../engine/engine-factory.js";
import type { BuildPlan, PromptBuildResult } from "../plan/build-plan.js";
import type { BuildFailure } from "../plan/failures.js";
import type { Project } from "../plan/project.js";
import type { CommitGate } from "../util/commit-gate.js";
import type { EngineEvent, EngineOptions } from "./engines.js";
import type { Limiter } from "./limiter.js";
import type { LockRecorder } from "./lock-recorder.js";

export type BuildEvent =
  | { type: "plan"; targets: Array<{ prompt: string; state: string; reasons: string[] }> }
  | { type: "start"; prompt: string; model: string }
  | { type: "progress"; prompt: string; tokens: number; elapsedMs: number }
  | { type: "check"; prompt: string; passed: boolean; durationMs: number; failure?: string; known: boolean }
  | { type: "done"; result: PromptBuildResult }
  | EngineEvent;

/** How a build runs its targets. */
export interface ExecuteOptions extends EngineOptions {
  /** Prompts generated concurrently (default: pc.config.json's `jobs`, else 1). */
  jobs?: number;
  /** Read the generation cache (default true). */
  cache?: boolean;
  /** Restore from the cache only; prompts that need a model fail. */
  offline?: boolean;
  /** Write (and record, marked failed) a generation whose checks fail, instead of keeping the previous outputs. */
  keepFailed?: boolean;
  /** Aborts in-flight generations; finished prompts stay recorded. */
  signal?: AbortSignal;
  /** Where bookkeeping that could not be written (the failure record) is reported. */
  warnings?: PcError[];
  /**
   * Called when a prompt starts; the signal it returns cancels that prompt alone (pc watch cancels
   * a prompt edited again while it generates). A cancelled prompt is `skipped` with the signal's reason.
   */
  promptSignal?: (prompt: string) => AbortSignal | undefined;
  /**
   * Where the build holds each commit (outputs written, not yet recorded in the lock), so that an
   * exit asked for meanwhile can wait for it (see the CLI's interrupt handling). Default: the build's own.
   */
  commits?: CommitGate;
  onEvent?: (event: BuildEvent) => void;
}

/** What the prompts of one build share, as a PromptExecution sees it (see BuildRun). */
export interface RunContext {
  readonly project: Project;
  readonly plan: BuildPlan;
  readonly options: ExecuteOptions;
  readonly store: GenerationStore;
  /** Formats the outputs (prettier, with the project's configuration as it is for this build). */
  readonly formatter: Formatter;
  readonly engines: EnginePool;
  /** promptfile.lock, written as prompts finish. */
  readonly lock: LockRecorder;
  readonly earlier: EarlierEntries;
  readonly commits: CommitGate;
  /** The last failure of each prompt, kept in .pc/failures.json once the build ends. */
  readonly failures: Record<string, BuildFailure>;
  /** Generation slots (-j): held to render and generate. */
  readonly slot: Limiter;
  /** Cache lookups, one at a time in plan order. */
  readonly lookups: Limiter;
  /** Each started prompt's result, by prompt: the prompts that read its outputs wait for it. */
  readonly done: Map<string, Promise<PromptBuildResult>>;
  /** Keeps an earlier entry being written to .pc/entries/; the build waits for it before it ends. */
  remember(writing: Promise<boolean>): void;
}
