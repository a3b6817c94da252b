import { build, type BuildReport, type PromptBuildResult } from "../commands/build.js";
import { buildFigures, promptFigures } from "../commands/figures.js";
import { PcError } from "../util/errors.js";
import { exitOnceIdle, onInterrupt } from "./interrupt.js";
import { liveProgress, printJson, useColor } from "./output.js";
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
  /** Write (and record, marked failed) outputs whose checks fail. */
  keepFailed?: boolean;
  /** Write Prometheus metrics of the build to this file. */
  metrics?: string;
}

export async function buildCommand(paths: string[], flags: BuildFlags): Promise<number> {
  const live = liveProgress(flags.json);
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
      keepFailed: flags.keepFailed,
      signal: interrupt.signal,
      commits: interrupt.commits,
      onEvent: flags.json ? undefined : progress.onEvent,
    });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  const metricsError = flags.metrics ? await writeMetricsFile(flags.metrics, report) : undefined;
  if (flags.json) {
    printJson(reportJson(report));
  } else if (flags.dryRun) {
    for (const p of report.prompts) {
      if (p.outcome === "planned")
        process.stdout.write(`would build ${p.prompt} → ${p.outputs.join(", ")}: ${p.reasons.join("; ")}\n`);
    }
    process.stdout.write(`${progress.summary(report)}\n`);
  } else {
    process.stderr.write(`${progress.summary(report)}\n`);
  }
  for (const warning of report.warnings) process.stderr.write(`pc: ${warning.format()}\n  (${warning.code})\n`);
  if (metricsError) throw metricsError;
  if (interrupt.interrupted()) {
    exitOnceIdle(130);
    return 130;
  }
  return report.ok ? 0 : 1;
}

/** Writes the metrics file; a failure is returned, so the report is still printed before it is shown. */
async function writeMetricsFile(file: string, report: BuildReport): Promise<PcError | undefined> {
  const { writeMetrics } = await import("../commands/metrics.js");
  try {
    await writeMetrics(file, report);
    return undefined;
  } catch (cause) {
    return new PcError("PC_WRITE_FAILED", `could not write the metrics file ${file}: ${(cause as Error).message}`, {
      hint: "Give a path in a writable folder, e.g. --metrics /var/lib/node_exporter/textfile/pc.prom",
      cause,
    });
  }
}

/** The --json report: the same figures as the summary and the metrics file (durations in milliseconds here, in seconds in the metrics file). */
export function reportJson(report: BuildReport) {
  const figures = buildFigures(report);
  return {
    ok: report.ok,
    dryRun: report.dryRun,
    durationMs: report.durationMs,
    finishedAt: report.finishedAt,
    totals: { ...report.totals, requestMs: figures.requestMs, tokensPerSecond: figures.tokensPerSecond ?? null },
    prompts: report.prompts.map(promptJson),
    dropped: report.dropped,
    warnings: report.warnings.map((w) => w.toJSON()),
  };
}

/** One prompt's result as JSON (also the `done` / `failed` events of `pc watch --json`). */
export function promptJson(p: PromptBuildResult) {
  const figures = promptFigures(p);
  return {
    prompt: p.prompt,
    outcome: p.outcome,
    reasons: p.reasons,
    outputs: p.outputs,
    source: p.source ?? null,
    model: p.model ?? null,
    usage: p.usage ?? null,
    durationMs: figures.durationMs ?? null,
    tokensPerSecond: figures.tokensPerSecond ?? null,
    error: p.error ? p.error.toJSON() : null,
    ...(p.checks ? { checks: p.checks } : {}),
  };
}
