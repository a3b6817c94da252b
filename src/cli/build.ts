import { build, type BuildReport, type PromptBuildResult } from "../build/build.js";
import { onInterrupt } from "./interrupt.js";
import { printJson, useColor } from "./output.js";
import { BuildProgress } from "./progress.js";

export interface BuildFlags {
  force?: boolean;
  dryRun?: boolean;
  json?: boolean;
  jobs?: number;
  baseUrl?: string;
  timeout?: number;
  retries?: number;
  threads?: number;
  cache?: boolean;
  offline?: boolean;
}

export async function buildCommand(paths: string[], flags: BuildFlags): Promise<number> {
  const live = !flags.json && Boolean(process.stderr.isTTY) && process.env.TERM !== "dumb";
  const progress = new BuildProgress(process.stderr, live, useColor(process.stderr));
  const interrupt = onInterrupt((message) => progress.notice(message));
  let report: BuildReport;
  try {
    report = await build({
      paths,
      force: flags.force,
      dryRun: flags.dryRun,
      jobs: flags.jobs,
      baseUrl: flags.baseUrl,
      timeout: flags.timeout,
      retries: flags.retries,
      threads: flags.threads,
      cache: flags.cache,
      offline: flags.offline,
      signal: interrupt.signal,
      onEvent: flags.json ? undefined : progress.onEvent,
    });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  if (flags.json) {
    printJson(reportJson(report));
  } else if (flags.dryRun) {
    for (const p of report.prompts) {
      if (p.outcome === "planned") process.stdout.write(`would build ${p.prompt} → ${p.outputs.join(", ")}: ${p.reasons.join("; ")}\n`);
    }
    process.stdout.write(`${progress.summary(report)}\n`);
  } else {
    process.stderr.write(`${progress.summary(report)}\n`);
  }
  if (interrupt.interrupted()) return 130;
  return report.ok ? 0 : 1;
}

/** The --json report: the same figures as the summary and the metrics file. */
export function reportJson(report: BuildReport) {
  return {
    ok: report.ok,
    dryRun: report.dryRun,
    durationMs: report.durationMs,
    totals: report.totals,
    prompts: report.prompts.map(promptJson),
  };
}

/** One prompt's result as JSON (also the `done` / `failed` events of `pc watch --json`). */
export function promptJson(p: PromptBuildResult) {
  const seconds = (p.durationMs ?? 0) / 1000;
  return {
    prompt: p.prompt,
    outcome: p.outcome,
    reasons: p.reasons,
    outputs: p.outputs,
    source: p.source ?? null,
    model: p.model ?? null,
    usage: p.usage ?? null,
    durationMs: p.durationMs === undefined ? null : Math.round(p.durationMs),
    tokensPerSecond: p.usage && seconds > 0 ? Math.round((p.usage.completionTokens / seconds) * 10) / 10 : null,
    error: p.error ? p.error.toJSON() : null,
  };
}
