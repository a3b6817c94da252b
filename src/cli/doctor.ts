import { doctor, type Finding } from "../commands/doctor.js";
import { colors, printJson, useColor } from "./output.js";

export interface DoctorFlags {
  json?: boolean;
  baseUrl?: string;
}

export async function doctorCommand(flags: DoctorFlags): Promise<number> {
  const report = await doctor({ baseUrl: flags.baseUrl });
  if (flags.json) {
    printJson({
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
  const c = colors(useColor());
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
  process.stdout.write(`${lines.join("\n")}\n\n${summary}\n`);
  return report.ok ? 0 : 1;
}
