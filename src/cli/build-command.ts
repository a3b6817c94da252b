import path from "node:path";
import { build, type BuildOptions, type BuildReport, type PromptBuildResult } from "../commands/build.js";
import { buildFigures, promptFigures } from "../commands/figures.js";
import { PcError } from "../util/errors.js";
import { exitOnceIdle, onInterrupt } from "./interrupt.js";
import type { CliIo } from "./io.js";
import { liveProgress, printJson, useColor } from "./output.js";
import { BuildProgress } from "./progress.js";

/** `pc build`'s options: the library's, plus what only the terminal has. */
export interface BuildCommandOptions extends Pick<
  BuildOptions,
  | "cwd"
  | "paths"
  | "force"
  | "dryRun"
  | "jobs"
  | "baseUrl"
  | "timeout"
  | "retries"
  | "threads"
  | "cache"
  | "offline"
  | "keepFailed"
> {
  json?: boolean;
  /** Write Prometheus metrics of the build to this file (relative to cwd, the project root). */
  metrics?: string;
}

export async function buildCommand(io: CliIo, options: BuildCommandOptions): Promise<number> {
  const { json, metrics, ...buildOptions } = options;
  const live = liveProgress(io, json);
  const progress = new BuildProgress(io.stderr, live, useColor(io, io.stderr));
  const interrupt = onInterrupt(io, (message) => progress.notice(message));
  let report: BuildReport;
  try {
    report = await build({
      ...buildOptions,
      signal: interrupt.signal,
      commits: interrupt.commits,
      onEvent: json ? undefined : progress.onEvent,
    });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
  const metricsError = metrics ? await writeMetricsFile(metrics, options.cwd, report) : undefined;
  if (json) {
    printJson(io, reportJson(report));
  } else if (options.dryRun) {
    for (const p of report.prompts) {
      if (p.outcome === "planned")
        io.stdout.write(`would build ${p.prompt} → ${p.outputs.join(", ")}: ${p.reasons.join("; ")}\n`);
    }
    io.stdout.write(`${progress.summary(report)}\n`);
  } else {
    io.stderr.write(`${progress.summary(report)}\n`);
  }
  for (const warning of report.warnings) io.stderr.write(`pc: ${warning.format()}\n  (${warning.code})\n`);
  if (metricsError) throw metricsError;
  if (interrupt.interrupted()) {
    exitOnceIdle(io, 130);
    return 130;
  }
  return report.ok ? 0 : 1;
}

/** Writes the metrics file; a failure is returned, so the report is still printed before it is shown. */
async function writeMetricsFile(
  file: string,
  root: string | undefined,
  report: BuildReport,
): Promise<PcError | undefined> {
  const { writeMetrics } = await import("../commands/metrics.js");
  try {
    await writeMetrics(path.resolve(root ?? ".", file), report);
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
