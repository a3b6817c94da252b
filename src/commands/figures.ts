import type { BuildReport, PromptBuildResult } from "./build.js";

/**
 * The figures of a build that are reported both in `pc build --json` and in the Prometheus
 * metrics file, computed once so the two always agree.
 */
export interface PromptFigures {
  /** The model request's duration, for prompts that made one (outcome `built`). */
  durationMs?: number;
  promptTokens: number;
  completionTokens: number;
  /** Completion tokens per second of the request, two decimals. */
  tokensPerSecond?: number;
}

export interface BuildFigures {
  /** Time spent in model requests, summed over the prompts. */
  requestMs: number;
  promptTokens: number;
  completionTokens: number;
  /** Completion tokens per second of request time, over the whole build. */
  tokensPerSecond?: number;
}

export function promptFigures(p: PromptBuildResult): PromptFigures {
  const durationMs = p.durationMs === undefined ? undefined : Math.round(p.durationMs);
  const completionTokens = p.usage?.completionTokens ?? 0;
  return {
    durationMs,
    promptTokens: p.usage?.promptTokens ?? 0,
    completionTokens,
    tokensPerSecond: p.usage && durationMs ? rate(completionTokens, durationMs) : undefined,
  };
}

export function buildFigures(report: BuildReport): BuildFigures {
  let requestMs = 0;
  for (const p of report.prompts) requestMs += promptFigures(p).durationMs ?? 0;
  const { promptTokens, completionTokens } = report.totals;
  return {
    requestMs,
    promptTokens,
    completionTokens,
    tokensPerSecond: requestMs > 0 ? rate(completionTokens, requestMs) : undefined,
  };
}

function rate(tokens: number, ms: number): number {
  return Math.round((tokens / (ms / 1000)) * 100) / 100;
}
