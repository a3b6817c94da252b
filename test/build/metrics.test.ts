import parsePrometheus from "parse-prometheus-text-format";
import { describe, expect, it } from "vitest";
import type { BuildReport } from "../../src/commands/build.js";
import { toPrometheus } from "../../src/commands/metrics.js";

function report(prompt: string, model: string): BuildReport {
  return {
    ok: true,
    dryRun: false,
    prompts: [
      {
        prompt,
        outcome: "built",
        reasons: [],
        outputs: ["out.py"],
        model,
        usage: { promptTokens: 10, completionTokens: 30 },
        durationMs: 1500,
      },
    ],
    totals: {
      built: 1,
      cached: 0,
      fresh: 0,
      failed: 0,
      skipped: 0,
      drifted: 0,
      planned: 0,
      promptTokens: 10,
      completionTokens: 30,
    },
    durationMs: 2000,
    finishedAt: "2025-01-01T00:00:00.000Z",
    dropped: [],
    warnings: [],
  };
}

describe("toPrometheus", () => {
  it("escapes backslashes, quotes and line breaks in label values", () => {
    const prompt = 'prompts/a\\b "c"\nd.md';
    const families = parsePrometheus(toPrometheus(report(prompt, "qwen2.5-coder:7b"))) as Array<{
      name: string;
      metrics: Array<{ value: string; labels?: Record<string, string> }>;
    }>;
    const tokens = families.find((f) => f.name === "pc_completion_tokens_total")!;
    expect(tokens.metrics).toEqual([{ value: "30", labels: { prompt, model: "qwen2.5-coder:7b" } }]);
    expect(families.find((f) => f.name === "pc_tokens_per_second")!.metrics[0].value).toBe("20");
    expect(families.find((f) => f.name === "pc_build_last_run_timestamp_seconds")!.metrics[0].value).toBe("1735689600");
  });

  it("writes each family once, HELP and TYPE first, and no sample timestamps", () => {
    const text = toPrometheus(report("prompts/a.md", "m"));
    const names = [...text.matchAll(/^# TYPE (\S+) (gauge|counter)$/gm)].map((m) => m[1]);
    expect(new Set(names).size).toBe(names.length);
    for (const line of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
      const name = line.split(/[{ ]/)[0];
      expect(names).toContain(name);
      // After the name and labels comes the value alone: a timestamp would be a second number.
      const rest = line.includes("}") ? line.slice(line.lastIndexOf("}") + 1) : line.slice(name.length);
      expect(rest.trim()).toMatch(/^-?[\d.]+(e[+-]?\d+)?$/);
    }
  });
});
