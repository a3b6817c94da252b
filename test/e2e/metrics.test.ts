import { readdir, readFile, unlink } from "node:fs/promises";
import path from "node:path";
import parsePrometheus from "parse-prometheus-text-format";
import { beforeEach, describe, expect, it } from "vitest";
import { runPc } from "../support/pc.js";
import { makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

interface Sample {
  value: string;
  labels?: Record<string, string>;
}
interface MetricFamily {
  name: string;
  help: string;
  type: string;
  metrics: Sample[];
}

// A prompt path with a quote and a backslash: label values must be escaped.
const WEIRD = 'prompts/we"ird\\name.md';
let root: string;
const server = useTestServer({ models: ["test-model"] });

// Each test has its own project: what a build reports depends on what earlier builds left.
beforeEach(async () => {
  root = (
    await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      [WEIRD]: promptFile({ output: "generated/weird.py" }),
      "prompts/fail.md": promptFile({ output: "generated/fail.py", model: "absent-model" }),
    })
  ).root;
});

async function buildWithMetrics() {
  const run = await runPc(["build", "--json", "--metrics", "metrics/pc.prom", "--base-url", server.baseURL], {
    cwd: root,
  });
  const report = JSON.parse(run.stdout);
  const text = await readFile(path.join(root, "metrics/pc.prom"), "utf8");
  const families = parsePrometheus(text) as MetricFamily[];
  const byName = new Map(families.map((f) => [f.name, f]));
  const value = (name: string, labels: Record<string, string> = {}) => {
    const sample = byName.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    return sample === undefined ? undefined : Number(sample.value);
  };
  return { run, report, text, families, byName, value };
}

describe("pc build --metrics", () => {
  it("writes Prometheus text that a parser reads, with the same figures as --json", async () => {
    const { run, report, text, families, byName, value } = await buildWithMetrics();
    expect(run.code).toBe(1); // fail.md pins a model the server does not have

    for (const f of families) {
      expect(f.name).toMatch(/^pc_[a-z_]+$/);
      expect(f.help.length).toBeGreaterThan(10);
      expect(f.type === "COUNTER").toBe(f.name.endsWith("_total"));
    }
    expect(text).not.toMatch(/^[^#].* \d+ \d+$/m); // no sample timestamps: the textfile collector refuses them

    const outcomes = Object.fromEntries(
      byName.get("pc_prompt_outcome")!.metrics.map((m) => [m.labels!.prompt, m.labels!.outcome]),
    );
    expect(outcomes).toEqual({ "prompts/a.md": "built", [WEIRD]: "built", "prompts/fail.md": "failed" });
    expect(
      byName.get("pc_prompt_outcome")!.metrics.find((m) => m.labels!.prompt === "prompts/fail.md")!.labels!.model,
    ).toBe("absent-model");

    for (const p of report.prompts.filter((r: { outcome: string }) => r.outcome === "built")) {
      const labels = { prompt: p.prompt, model: "test-model" };
      expect(p.usage.completionTokens).toBeGreaterThan(0);
      expect(value("pc_prompt_tokens_total", labels)).toBe(p.usage.promptTokens);
      expect(value("pc_completion_tokens_total", labels)).toBe(p.usage.completionTokens);
      expect(value("pc_prompt_request_duration_seconds", labels)).toBe(p.durationMs / 1000);
      expect(value("pc_tokens_per_second", labels)).toBe(p.tokensPerSecond);
    }
    expect(value("pc_prompt_request_duration_seconds", { prompt: "prompts/fail.md" })).toBeUndefined();

    expect(value("pc_build_prompts", { outcome: "built" })).toBe(2);
    expect(value("pc_build_prompts", { outcome: "failed" })).toBe(1);
    expect(value("pc_build_prompts", { outcome: "cached" })).toBe(0);
    expect(value("pc_build_prompt_tokens_total")).toBe(report.totals.promptTokens);
    expect(value("pc_build_completion_tokens_total")).toBe(report.totals.completionTokens);
    expect(value("pc_build_request_duration_seconds")).toBe(report.totals.requestMs / 1000);
    expect(value("pc_build_tokens_per_second")).toBe(report.totals.tokensPerSecond);
    expect(value("pc_build_duration_seconds")).toBe(report.durationMs / 1000);
    expect(value("pc_build_success")).toBe(0);
    expect(value("pc_build_last_run_timestamp_seconds")).toBe(Date.parse(report.finishedAt) / 1000);
  });

  it("replaces the file on the next build, leaving no temp file", async () => {
    await buildWithMetrics();
    await unlink(path.join(root, "generated/a.py"));
    const { report, byName, value } = await buildWithMetrics();
    expect(report.prompts.find((p: { prompt: string }) => p.prompt === "prompts/a.md").outcome).toBe("cached");
    const outcomes = Object.fromEntries(
      byName.get("pc_prompt_outcome")!.metrics.map((m) => [m.labels!.prompt, m.labels!.outcome]),
    );
    expect(outcomes).toEqual({ "prompts/a.md": "cached", [WEIRD]: "fresh", "prompts/fail.md": "failed" });
    // No model request this time: no per-request series, and no build-wide rate.
    expect(byName.has("pc_prompt_request_duration_seconds")).toBe(false);
    expect(byName.has("pc_build_tokens_per_second")).toBe(false);
    expect(value("pc_build_completion_tokens_total")).toBe(0);
    expect(await readdir(path.join(root, "metrics"))).toEqual(["pc.prom"]);
  });

  it("refuses --metrics with --dry-run, and reports a file it cannot write", async () => {
    const dry = await runPc(["build", "--dry-run", "--metrics", "m.prom"], { cwd: root });
    expect(dry.code).toBe(2);
    expect(dry.stderr).toContain("--metrics records a build");
    const blocked = await runPc(["build", "--metrics", "prompts/a.md/m.prom", "--base-url", server.baseURL], {
      cwd: root,
    });
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain("could not write the metrics file prompts/a.md/m.prom");
  });
});
