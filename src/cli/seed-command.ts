import { seed, type SeedOptions, type SeedReport, type SeedTry } from "../commands/seed.js";
import { onInterrupt } from "./interrupt.js";
import type { CliIo } from "./io.js";
import { colors, printJson, table, useColor } from "./output.js";
import { formatSeconds } from "./progress.js";

/** `pc seed`'s options: the library's, plus what only the terminal has. */
export interface SeedCommandOptions extends Pick<
  SeedOptions,
  "cwd" | "prompt" | "tries" | "from" | "pin" | "jobs" | "baseUrl" | "timeout" | "retries" | "threads"
> {
  json?: boolean;
}

/** Exit 0 when a seed passed the checks, 1 when none did. */
export async function seedCommand(io: CliIo, options: SeedCommandOptions): Promise<number> {
  const { json, ...seedOptions } = options;
  const interrupt = onInterrupt(io, (message) => io.stderr.write(`${message}\n`));
  let report: SeedReport;
  try {
    report = await seed({
      ...seedOptions,
      signal: interrupt.signal,
      onEvent: (event) => {
        if (json) return;
        if (event.type === "start") io.stderr.write(`trying seed ${event.seed}\n`);
        if (event.type === "retry") io.stderr.write(`${event.message}; retrying in ${formatSeconds(event.delayMs)}\n`);
      },
    });
  } finally {
    interrupt.dispose();
  }
  if (interrupt.interrupted()) return 130;
  if (json) {
    printJson(io, { ...report, tries: report.tries.map(({ error, ...t }) => ({ ...t, error: error?.code })) });
  } else {
    io.stdout.write(`${seedTable(report.tries, useColor(io))}\n`);
    io.stdout.write(`${summary(report, options.pin ?? false, useColor(io))}\n`);
  }
  return report.passed !== undefined && (report.build?.ok ?? true) ? 0 : 1;
}

export function seedTable(tries: SeedTry[], color: boolean): string {
  const c = colors(color);
  const rows = tries.map((t) => [
    String(t.seed),
    t.passed === undefined ? c.red("error") : t.passed ? c.green("pass") : c.red("fail"),
    t.tokens === undefined ? "-" : String(t.tokens),
    t.source === "cache" ? `${formatSeconds(t.durationMs)} (cached)` : formatSeconds(t.durationMs),
    (t.failure ?? "").split("\n")[0] ?? "",
  ]);
  return table(
    rows,
    ["seed", "checks", "tokens", "time", "first failing line"].map((h) => c.bold(h)),
  );
}

function summary(report: SeedReport, pin: boolean, color: boolean): string {
  const c = colors(color);
  const passing = report.tries.filter((t) => t.passed).length;
  const count = `${passing} of ${report.tries.length} seed${report.tries.length === 1 ? "" : "s"} passed`;
  if (report.passed === undefined) return c.red(`${count}: no seed passed the checks of ${report.prompt}`);
  if (!pin) return `${count}; pin the first with: pc seed ${report.prompt} --from ${report.passed} --try 1 --pin`;
  const built = report.build?.prompts.find((p) => p.prompt === report.prompt);
  return `${count}; pinned seed ${report.passed} in ${report.prompt}${built ? ` (${built.outcome}${built.source ? `, from the ${built.source === "cache" ? "cache" : built.source}` : ""})` : ""}`;
}
