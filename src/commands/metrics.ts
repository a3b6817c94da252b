/**
 * Build metrics in the Prometheus text exposition format (version 0.0.4), the format
 * node_exporter's textfile collector reads: `pc build --metrics /var/lib/node_exporter/pc.prom`.
 * No sample timestamps (the collector refuses them); the time of the build is a metric instead.
 */
import path from "node:path";
import { writeFileAtomic } from "../util/fs.js";
import type { BuildOutcome, BuildReport } from "./build.js";
import { buildFigures, promptFigures } from "./figures.js";

type Labels = Record<string, string>;

interface Family {
  name: string;
  type: "gauge" | "counter";
  help: string;
  samples: Array<{ labels: Labels; value: number }>;
}

/** Outcomes a real build reports (`planned` is for dry runs, which write no metrics). */
const OUTCOMES: BuildOutcome[] = ["built", "cached", "fresh", "failed", "skipped", "drifted"];

/** The metrics of a finished build. Pure. */
export function toPrometheus(report: BuildReport): string {
  return [...promptFamilies(report), ...buildFamilies(report)]
    .filter((f) => f.samples.length > 0)
    .map(formatFamily)
    .join("");
}

function family(name: string, type: Family["type"], help: string): Family {
  return { name, type, help, samples: [] };
}

/** A family of one unlabelled sample (none when the value is unknown). */
function single(name: string, type: Family["type"], help: string, value: number | undefined): Family {
  return { name, type, help, samples: value === undefined ? [] : [{ labels: {}, value }] };
}

/** Per prompt: its request's duration, tokens and rate, and its outcome. */
function promptFamilies(report: BuildReport): Family[] {
  const duration = family(
    "pc_prompt_request_duration_seconds",
    "gauge",
    "Duration of the prompt's model request in the last build.",
  );
  const promptTokens = family(
    "pc_prompt_tokens_total",
    "counter",
    "Prompt tokens the model read for the prompt in the last build.",
  );
  const completionTokens = family(
    "pc_completion_tokens_total",
    "counter",
    "Completion tokens the model generated for the prompt in the last build.",
  );
  const rate = family(
    "pc_tokens_per_second",
    "gauge",
    "Completion tokens per second of the prompt's model request in the last build.",
  );
  const outcome = family(
    "pc_prompt_outcome",
    "gauge",
    "1 for the prompt's outcome in the last build (built, cached, fresh, failed, skipped, drifted).",
  );
  for (const p of report.prompts) {
    const labels = { prompt: p.prompt, model: p.model ?? "" };
    outcome.samples.push({ labels: { ...labels, outcome: p.outcome }, value: 1 });
    const f = promptFigures(p);
    if (f.durationMs === undefined) continue; // no model request: restored from the cache, fresh, failed or skipped
    duration.samples.push({ labels, value: f.durationMs / 1000 });
    promptTokens.samples.push({ labels, value: f.promptTokens });
    completionTokens.samples.push({ labels, value: f.completionTokens });
    if (f.tokensPerSecond !== undefined) rate.samples.push({ labels, value: f.tokensPerSecond });
  }
  return [duration, promptTokens, completionTokens, rate, outcome];
}

/** For the whole build: prompts by outcome, tokens, time, success and when it finished. */
function buildFamilies(report: BuildReport): Family[] {
  const totals = buildFigures(report);
  const prompts = family("pc_build_prompts", "gauge", "Prompts by outcome in the last build.");
  for (const o of OUTCOMES) prompts.samples.push({ labels: { outcome: o }, value: report.totals[o] });
  return [
    prompts,
    single(
      "pc_build_prompt_tokens_total",
      "counter",
      "Prompt tokens read by the model over the last build.",
      totals.promptTokens,
    ),
    single(
      "pc_build_completion_tokens_total",
      "counter",
      "Completion tokens generated over the last build.",
      totals.completionTokens,
    ),
    single(
      "pc_build_request_duration_seconds",
      "gauge",
      "Time spent in model requests over the last build.",
      totals.requestMs / 1000,
    ),
    single(
      "pc_build_tokens_per_second",
      "gauge",
      "Completion tokens per second of model request time over the last build.",
      totals.tokensPerSecond,
    ),
    single("pc_build_duration_seconds", "gauge", "Wall-clock duration of the last build.", report.durationMs / 1000),
    single(
      "pc_build_success",
      "gauge",
      "1 if no prompt failed, was skipped or kept a hand-edited output in the last build, else 0.",
      report.ok ? 1 : 0,
    ),
    single(
      "pc_build_last_run_timestamp_seconds",
      "gauge",
      "Unix time when the last build finished.",
      Date.parse(report.finishedAt) / 1000,
    ),
  ];
}

/** Writes the metrics atomically, so the collector never reads a half-written file. */
export async function writeMetrics(file: string, report: BuildReport): Promise<void> {
  await writeFileAtomic(path.resolve(file), toPrometheus(report));
}

function formatFamily(f: Family): string {
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples) {
    const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    lines.push(`${f.name}${labels.length ? `{${labels.join(",")}}` : ""} ${formatValue(s.value)}`);
  }
  return `${lines.join("\n")}\n`;
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  return String(value);
}
