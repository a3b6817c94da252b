import { log, type LogEntry, type LogOptions } from "../commands/log.js";
import type { CliIo } from "./io.js";
import { colors, printJson, table, useColor } from "./output.js";

/** `pc log`'s options: the library's, plus what only the terminal has. */
export interface LogCommandOptions extends Pick<LogOptions, "cwd" | "prompt"> {
  json?: boolean;
}

export async function logCommand(io: CliIo, options: LogCommandOptions): Promise<number> {
  const report = await log({ cwd: options.cwd, prompt: options.prompt });
  if (options.json) {
    printJson(io, {
      prompt: report.prompt,
      generations: report.generations.map((g) => ({
        ...g,
        label: g.label ?? null,
        usage: g.usage ?? null,
        durationMs: g.durationMs ?? null,
        checks: g.checks ?? null,
      })),
    });
    return 0;
  }
  if (report.generations.length === 0) {
    io.stdout.write(
      `No generations of ${report.prompt} in the cache (.pc/generations): \`pc build\` stores one per model call.\n`,
    );
    return 0;
  }
  const c = colors(useColor(io));
  // The checks column only for a prompt whose generations were checked.
  const checked = report.generations.some((g) => g.checks);
  const rows = report.generations.map((g) => [
    g.onDisk ? c.green("*") : " ",
    c.yellow(g.id),
    localTime(g.createdAt),
    g.label ? `${g.model} (${g.label})` : g.model,
    String(g.seed),
    String(g.temperature),
    g.source,
    tokens(g),
    ...(checked ? [g.checks === undefined ? "-" : g.checks.passed ? c.green("pass") : c.red("fail")] : []),
    Object.entries(g.outputs)
      .map(([file, hash]) => `${file} ${c.dim(hash.slice(7, 15))}`)
      .join(", "),
  ]);
  const header = [
    "",
    "id",
    "when",
    "model",
    "seed",
    "temp",
    "source",
    "tokens",
    ...(checked ? ["checks"] : []),
    "outputs",
  ].map((h) => c.bold(h));
  const n = report.generations.length;
  io.stdout.write(`${report.prompt}: ${n} generation${n === 1 ? "" : "s"}, newest first\n\n${table(rows, header)}\n\n`);
  io.stdout.write(
    `${c.green("*")} its bytes are on disk now. \`pc diff ${report.prompt} --against <id>\` shows how one differs from the files.\n`,
  );
  return 0;
}

function tokens(g: LogEntry): string {
  return g.usage ? `${g.usage.promptTokens}+${g.usage.completionTokens}` : "-";
}

/** `2025-01-02 10:11:12` in local time: precise enough to tell generations apart at a glance. */
function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
