import type { RunChecksReport } from "../commands/run-checks.js";
import { check, status, type StatusReport } from "../commands/status.js";
import { onInterrupt } from "./interrupt.js";
import { formatSeconds } from "./progress.js";
import { colors, printJson, statusTable, summarizeStates, useColor } from "./output.js";
import type { PromptStatus } from "../plan/states.js";
import { count, verb } from "../util/plural.js";

export interface StatusFlags {
  json?: boolean;
  /** pc check --run: also run the checks of the fresh prompts. */
  run?: boolean;
}

function toJson(s: PromptStatus) {
  return {
    prompt: s.prompt,
    state: s.state,
    reasons: s.reasons,
    outputs: s.outputs,
    source: s.source ?? null,
    label: s.label ?? null,
    dependsOn: s.dependsOn,
    ...(s.checks ? { checks: s.checks } : {}),
  };
}

export async function statusCommand(paths: string[], flags: StatusFlags): Promise<number> {
  const report = await status({ paths });
  if (flags.json) {
    printJson({ prompts: report.prompts.map(toJson) });
    return 0;
  }
  const color = useColor();
  if (report.prompts.length === 0) {
    process.stdout.write("No prompts found (prompts/**/*.md). `pc init` creates an example.\n");
    return 0;
  }
  process.stdout.write(`${statusTable(report.prompts, color)}\n\n${summarizeStates(report.prompts)}\n`);
  for (const s of report.prompts) {
    if (s.state === "invalid") process.stderr.write(`${s.reasons[0]}\n`);
  }
  return 0;
}

export async function checkCommand(paths: string[], flags: StatusFlags): Promise<number> {
  const report = await check({ paths });
  const checks = flags.run ? await runPromptChecks(paths, flags.json ?? false) : undefined;
  const code = report.ok && (checks?.ok ?? true) ? 0 : 1;
  if (flags.json) {
    printJson({ ok: code === 0, prompts: report.prompts.map(toJson), ...(checks ? { checks: checks.checks } : {}) });
    return code;
  }
  return printCheck(report, checks);
}

/** Runs the fresh prompts' checks (pc check --run), a line for each on stderr as it ends. */
async function runPromptChecks(paths: string[], json: boolean): Promise<RunChecksReport> {
  const { runChecks } = await import("../commands/run-checks.js");
  const interrupt = onInterrupt((message) => process.stderr.write(`${message}\n`));
  const c = colors(useColor(process.stderr));
  try {
    return await runChecks({
      paths,
      signal: interrupt.signal,
      onCheck: (e) => {
        if (json || e.passed === undefined) return;
        const took = c.dim(`(${formatSeconds(e.durationMs ?? 0)})`);
        process.stderr.write(
          e.passed
            ? `${c.green("✓")} checks passed ${e.prompt} ${took}\n`
            : `${c.red("✗")} checks failed ${e.prompt}: ${e.failure} ${took}\n`,
        );
      },
    });
  } finally {
    interrupt.dispose();
  }
}

function printCheck(report: StatusReport & { ok: boolean }, checks: RunChecksReport | undefined): number {
  const notFresh = report.prompts.filter((p) => p.state !== "fresh");
  const failing = checks?.checks.filter((c) => !c.passed) ?? [];
  for (const f of failing)
    process.stdout.write(`${f.prompt}: check failed: ${f.failure}${f.kept ? ` (output in ${f.kept})` : ""}\n`);
  const n = checks?.checks.length ?? 0;
  const prompts = count(n, "prompt");
  const ran = !checks
    ? ""
    : n === 0
      ? "; no fresh prompt has checks to run"
      : failing.length
        ? `; checks ran for ${prompts}: ${failing.length} failed`
        : `; the checks of ${prompts} passed`;
  if (report.ok && failing.length === 0) {
    const bySource = new Map<string, number>();
    for (const p of report.prompts) if (p.source) bySource.set(p.source, (bySource.get(p.source) ?? 0) + 1);
    const sources = [...bySource].map(([source, n]) => `${n} ${source}`).join(", ");
    const all = report.prompts.length === 1 ? "The only prompt is" : `All ${report.prompts.length} prompts are`;
    process.stdout.write(
      `${all} fresh: every output is the one the lock records for its prompt's current inputs${sources ? ` (sources: ${sources})` : ""}${ran}.\n`,
    );
    return 0;
  }
  if (report.ok) {
    const all = report.prompts.length === 1 ? "The only prompt is" : `All ${report.prompts.length} prompts are`;
    process.stdout.write(`${all} fresh${ran}.\n`);
    return 1;
  }
  const color = useColor();
  process.stdout.write(`${statusTable(notFresh, color)}\n\n`);
  for (const s of notFresh) {
    for (const reason of s.reasons) process.stdout.write(`${s.prompt}: ${reason}\n`);
  }
  process.stdout.write(
    `\n${notFresh.length} of ${count(report.prompts.length, "prompt")} ${verb(notFresh.length, "is", "are")} not fresh (${summarizeStates(notFresh)}).\n`,
  );
  return 1;
}
