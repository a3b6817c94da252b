import { checkPrompt, checksOf } from "../execute/checks.js";
import { renderOne } from "../plan/one-prompt.js";
import { loadProject } from "../plan/project.js";
import { computeStates } from "../plan/states.js";
import { selectPrompts } from "../plan/selection.js";
import { readIfExists } from "../util/fs.js";
import path from "node:path";

export interface RunChecksOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** Limit the run to these prompts (prompt files, outputs or folders). */
  paths?: string[];
  /** Kills the running check. */
  signal?: AbortSignal;
  /** Called as each prompt's checks start and end. */
  onCheck?: (event: { prompt: string; passed?: boolean; durationMs?: number; failure?: string }) => void;
}

export interface PromptCheckResult {
  prompt: string;
  passed: boolean;
  durationMs: number;
  failure?: string;
  /** Where the failing check's output is kept. */
  kept?: string;
}

export interface RunChecksReport {
  ok: boolean;
  checks: PromptCheckResult[];
}

/**
 * Runs the checks of every fresh prompt that has some on the outputs as they are on disk, without
 * a model (pc check --run: CI proves the committed code works, not only that it is what the prompts
 * produce). Prompts that are not fresh are left to pc check's own verdict.
 */
export async function runChecks(options: RunChecksOptions = {}): Promise<RunChecksReport> {
  const cwd = options.cwd ?? process.cwd();
  const project = await loadProject(cwd, { recall: true });
  const selected = selectPrompts(project, cwd, options.paths);
  const fresh = (await computeStates(project)).filter(
    (s) => s.state === "fresh" && (!selected || selected.includes(s.prompt)),
  );
  const results: PromptCheckResult[] = [];
  for (const status of fresh) {
    if (options.signal?.aborted) break;
    const loaded = await renderOne(project, status.prompt);
    const checks = checksOf(loaded);
    if (!checks) continue;
    options.onCheck?.({ prompt: status.prompt });
    const outputs: Record<string, string> = {};
    for (const output of loaded.outputs)
      outputs[output] = (await readIfExists(path.join(project.root, output)))?.toString("utf8") ?? "";
    const { verdict, kept } = await checkPrompt(project.root, loaded, checks, outputs, options.signal);
    results.push({
      prompt: status.prompt,
      passed: verdict.passed,
      durationMs: verdict.durationMs,
      failure: verdict.failure,
      kept,
    });
    options.onCheck?.({
      prompt: status.prompt,
      passed: verdict.passed,
      durationMs: verdict.durationMs,
      failure: verdict.failure,
    });
  }
  return { ok: results.every((c) => c.passed) && !options.signal?.aborted, checks: results };
}
