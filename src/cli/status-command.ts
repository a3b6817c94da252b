import type { RunChecksReport } from "../commands/run-checks.js";
import { check, status, type StatusOptions, type StatusReport } from "../commands/status.js";
import { onInterrupt } from "./interrupt.js";
import type { CliIo } from "./io.js";
import { formatSeconds } from "./progress.js";
import { colors, printJson, statusTable, summarizeStates, useColor } from "./output.js";
import type { PromptStatus } from "../plan/states.js";
import { count, verb } from "../util/plural.js";

/** `pc status`'s and `pc check`'s options: the library's, plus what only the terminal has. */
export interface StatusCommandOptions extends Pick<StatusOptions, "cwd" | "paths"> {
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

export async function statusCommand(io: CliIo, options: StatusCommandOptions): Promise<number> {
  const report = await status({ cwd: options.cwd, paths: options.paths });
  if (options.json) {
    printJson(io, { prompts: report.prompts.map(toJson) });
    return 0;
  }
  const color = useColor(io);
  if (report.prompts.length === 0) {
    io.stdout.write("No prompts found (prompts/**/*.md). `pc init` creates an example.\n");
    return 0;
  }
  io.stdout.write(`${statusTable(report.prompts, color)}\n\n${summarizeStates(report.prompts)}\n`);
  for (const s of report.prompts) {
    if (s.state === "invalid") io.stderr.write(`${s.reasons[0]}\n`);
  }
  return 0;
}

export async function checkCommand(io: CliIo, options: StatusCommandOptions): Promise<number> {
  const report = await check({ cwd: options.cwd, paths: options.paths });
  const checks = options.run ? await runPromptChecks(io, options) : undefined;
  const code = report.ok && (checks?.ok ?? true) ? 0 : 1;
  if (options.json) {
    printJson(io, {
      ok: code === 0,
      prompts: report.prompts.map(toJson),
      ...(checks ? { checks: checks.checks } : {}),
    });
    return code;
  }
  return printCheck(io, report, checks);
}

/** Runs the fresh prompts' checks (pc check --run), a line for each on stderr as it ends. */
async function runPromptChecks(io: CliIo, options: StatusCommandOptions): Promise<RunChecksReport> {
  const { runChecks } = await import("../commands/run-checks.js");
  const interrupt = onInterrupt(io, (message) => io.stderr.write(`${message}\n`));
  const c = colors(useColor(io, io.stderr));
  const json = options.json ?? false;
  try {
    return await runChecks({
      cwd: options.cwd,
      paths: options.paths,
      signal: interrupt.signal,
      onCheck: (e) => {
        if (json || e.passed === undefined) return;
        const took = c.dim(`(${formatSeconds(e.durationMs ?? 0)})`);
        io.stderr.write(
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

function printCheck(io: CliIo, report: StatusReport & { ok: boolean }, checks: RunChecksReport | undefined): number {
  const notFresh = report.prompts.filter((p) => p.state !== "fresh");
  const failing = checks?.checks.filter((c) => !c.passed) ?? [];
  for (const f of failing)
    io.stdout.write(`${f.prompt}: check failed: ${f.failure}${f.kept ? ` (output in ${f.kept})` : ""}\n`);
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
    io.stdout.write(
      `${all} fresh: every output is the one the lock records for its prompt's current inputs${sources ? ` (sources: ${sources})` : ""}${ran}.\n`,
    );
    return 0;
  }
  if (report.ok) {
    const all = report.prompts.length === 1 ? "The only prompt is" : `All ${report.prompts.length} prompts are`;
    io.stdout.write(`${all} fresh${ran}.\n`);
    return 1;
  }
  const color = useColor(io);
  io.stdout.write(`${statusTable(notFresh, color)}\n\n`);
  for (const s of notFresh) {
    for (const reason of s.reasons) io.stdout.write(`${s.prompt}: ${reason}\n`);
  }
  io.stdout.write(
    `\n${notFresh.length} of ${count(report.prompts.length, "prompt")} ${verb(notFresh.length, "is", "are")} not fresh (${summarizeStates(notFresh)}).\n`,
  );
  return 1;
}
