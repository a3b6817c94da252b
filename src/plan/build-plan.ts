import type { CheckSummary, OutputSource } from "../lock/lockfile.js";
import type { PcError } from "../util/errors.js";
import type { Project, LoadedPrompt } from "./project.js";
import { selectPrompts, withDependencies } from "./selection.js";
import { BUILDABLE, type PromptStatus } from "./states.js";

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
  /** What the prompt's checks said of the outputs written (prompts with a `check` key). */
  checks?: CheckSummary;
  error?: PcError;
}

/** What a build does with the selected prompts, decided before anything is generated. */
export interface BuildPlan {
  /** Prompts to build, in dependency order. */
  targets: PromptStatus[];
  /** Selected prompts that are not built, with their outcome. */
  others: PromptBuildResult[];
  /** Targets built even though they are fresh or drifted (--force). */
  forced: Set<string>;
  /** Lock entries of prompts that are gone: a build of the whole project drops them. */
  orphans: PromptStatus[];
}

export interface PlanOptions {
  /** Limit the build to these prompts (and what they depend on). */
  paths?: string[];
  /** Build the selected prompts even when fresh or drifted. */
  force?: boolean;
}

/** Sorts the selected prompts' states into targets (in dependency order) and prompts left as they are. */
export function planBuild(project: Project, statuses: PromptStatus[], cwd: string, options: PlanOptions): BuildPlan {
  const selected = selectPrompts(project, cwd, options.paths);
  const explicit = new Set(selected ?? statuses.map((s) => s.prompt));
  const scope = selected ? withDependencies(project, selected) : explicit;
  const forced = options.force ? new Set(explicit) : new Set<string>();
  const targets: PromptStatus[] = [];
  const others: PromptBuildResult[] = [];
  const orphans = selected ? [] : statuses.filter((s) => s.state === "orphaned");
  for (const s of statuses) {
    if (!scope.has(s.prompt)) continue;
    const base = {
      prompt: s.prompt,
      outputs: s.outputs,
      reasons: s.reasons,
      source: s.source,
      model: pinnedModel(project, s.prompt),
    };
    if (s.state === "invalid") others.push({ ...base, outcome: "failed", error: s.error });
    else if (s.state === "orphaned") continue;
    else if (forced.has(s.prompt)) targets.push({ ...s, reasons: s.state === "fresh" ? ["--force"] : s.reasons });
    else if (s.state === "drifted") others.push({ ...base, outcome: "drifted" });
    else if (BUILDABLE.has(s.state)) targets.push(s);
    else others.push({ ...base, outcome: "fresh" });
  }
  return { targets, others, forced, orphans };
}

/** Every selected prompt is fresh and no lock entry is to be dropped: nothing to generate, write or report. */
export function nothingToDo(plan: BuildPlan): boolean {
  return plan.targets.length === 0 && plan.orphans.length === 0 && plan.others.every((o) => o.outcome === "fresh");
}

/** The pinned model: from the parsed prompt, else from the entry recalled or recorded for it. */
export function pinnedModel(project: Project, prompt: string): string | undefined {
  const loaded = project.prompts.get(prompt);
  return loaded?.parsed?.frontmatter.model ?? loaded?.recalled?.model ?? loaded?.entry?.model;
}

/**
 * The prompt reads no output of another prompt (a prompt waiting for one reads it too): what
 * planning found for it holds during the build.
 */
export function readsNoPendingOutput(project: Project, loaded: LoadedPrompt): boolean {
  return !project.graph.dependsOn.get(loaded.prompt)?.length;
}
