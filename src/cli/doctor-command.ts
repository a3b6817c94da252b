import { doctor, type DoctorOptions, type Finding } from "../commands/doctor.js";
import type { CliIo } from "./io.js";
import { colors, printJson, useColor } from "./output.js";

/** `pc doctor`'s options: the library's, plus what only the terminal has. */
export interface DoctorCommandOptions extends Pick<DoctorOptions, "cwd" | "baseUrl"> {
  json?: boolean;
}

export async function doctorCommand(io: CliIo, options: DoctorCommandOptions): Promise<number> {
  const report = await doctor({ cwd: options.cwd, baseUrl: options.baseUrl });
  if (options.json) {
    printJson(io, {
      ok: report.ok,
      findings: report.findings.map((f) => ({
        level: f.level,
        check: f.check,
        subject: f.subject ?? null,
        what: f.what,
        fix: f.fix ?? null,
      })),
    });
    return report.ok ? 0 : 1;
  }
  const c = colors(useColor(io));
  const mark = { ok: c.green("✓"), warn: c.yellow("!"), error: c.red("✗") };
  const lines = report.findings.map((f: Finding) => {
    const fix = f.level !== "ok" && f.fix ? `\n    ${c.dim("fix:")} ${f.fix.split("\n").join("\n    ")}` : "";
    return `${mark[f.level]} ${f.what}${fix}`;
  });
  const errors = report.findings.filter((f) => f.level === "error").length;
  const warnings = report.findings.filter((f) => f.level === "warn").length;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const summary = errors
    ? c.red(
        `${plural(errors, "problem")} would make a build fail${warnings ? `; ${plural(warnings, "warning")}` : ""}.`,
      )
    : warnings
      ? c.yellow(`${plural(warnings, "warning")}; nothing blocks a build.`)
      : c.green("Everything a build needs is in place.");
  io.stdout.write(`${lines.join("\n")}\n\n${summary}\n`);
  return report.ok ? 0 : 1;
}
