import { check, status } from "../commands/status.js";
import { printJson, statusTable, summarizeStates, useColor } from "./output.js";
import type { PromptStatus } from "../plan/states.js";
import { count, verb } from "../util/plural.js";

export interface StatusFlags {
  json?: boolean;
}

function toJson(s: PromptStatus) {
  return { prompt: s.prompt, state: s.state, reasons: s.reasons, outputs: s.outputs, source: s.source ?? null, label: s.label ?? null, dependsOn: s.dependsOn };
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
  const notFresh = report.prompts.filter((p) => p.state !== "fresh");
  if (flags.json) {
    printJson({ ok: report.ok, prompts: report.prompts.map(toJson) });
    return report.ok ? 0 : 1;
  }
  if (report.ok) {
    const bySource = new Map<string, number>();
    for (const p of report.prompts) if (p.source) bySource.set(p.source, (bySource.get(p.source) ?? 0) + 1);
    const sources = [...bySource].map(([source, n]) => `${n} ${source}`).join(", ");
    const all = report.prompts.length === 1 ? "The only prompt is" : `All ${report.prompts.length} prompts are`;
    process.stdout.write(`${all} fresh: every output is the one the lock records for its prompt's current inputs${sources ? ` (sources: ${sources})` : ""}.\n`);
    return 0;
  }
  const color = useColor();
  process.stdout.write(`${statusTable(notFresh, color)}\n\n`);
  for (const s of notFresh) {
    for (const reason of s.reasons) process.stdout.write(`${s.prompt}: ${reason}\n`);
  }
  process.stdout.write(`\n${notFresh.length} of ${count(report.prompts.length, "prompt")} ${verb(notFresh.length, "is", "are")} not fresh (${summarizeStates(notFresh)}).\n`);
  return 1;
}
