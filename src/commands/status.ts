import { loadProject } from "../plan/project.js";
import { computeStates, type PromptStatus } from "../plan/states.js";
import { selectPrompts } from "../plan/selection.js";

export interface StatusOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** Limit the report to these prompts (prompt files, outputs or folders). */
  paths?: string[];
}

export interface StatusReport {
  prompts: PromptStatus[];
}

/** The state of every prompt: fresh, stale (with reasons), new, missing, drifted, orphaned, failed, invalid. */
export async function status(options: StatusOptions = {}): Promise<StatusReport> {
  const cwd = options.cwd ?? process.cwd();
  // A prompt reverted to text built before is known from its recorded entry, without rendering.
  const project = await loadProject(cwd, { recall: true });
  const states = await computeStates(project);
  const selected = selectPrompts(project, cwd, options.paths);
  return { prompts: selected ? states.filter((s) => selected.includes(s.prompt)) : states };
}

/** The CI gate: passes only when every prompt is fresh. */
export async function check(options: StatusOptions = {}): Promise<StatusReport & { ok: boolean }> {
  const report = await status(options);
  return { ...report, ok: report.prompts.every((p) => p.state === "fresh") };
}
