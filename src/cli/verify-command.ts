import {
  verify,
  type PromptVerifyResult,
  type VerifyEvent,
  type VerifyOptions,
  type VerifyOutcome,
  type VerifyReport,
} from "../commands/verify.js";
import { onInterrupt } from "./interrupt.js";
import type { CliIo } from "./io.js";
import { colors, liveProgress, printJson, useColor } from "./output.js";
import { formatSeconds } from "./progress.js";
import { count } from "../util/plural.js";

/** `pc verify`'s options: the library's, plus what only the terminal has. */
export interface VerifyCommandOptions extends Pick<VerifyOptions, "cwd" | "paths" | "baseUrl" | "timeout" | "threads"> {
  json?: boolean;
}

/** Diff lines shown per output; --json carries the whole diff. */
const MAX_DIFF_LINES = 60;

export async function verifyCommand(io: CliIo, options: VerifyCommandOptions): Promise<number> {
  const { json, ...verifyOptions } = options;
  const color = useColor(io);
  const live = liveProgress(io, json);
  const interrupt = onInterrupt(io, (message) => io.stderr.write(`\n${message}\n`));
  let report: VerifyReport;
  try {
    report = await verify({
      ...verifyOptions,
      signal: interrupt.signal,
      onEvent: json ? undefined : onEvent(io, color, live),
    });
  } finally {
    interrupt.dispose();
  }
  if (json) printJson(io, reportJson(report));
  else io.stdout.write(`${summary(report, color)}\n`);
  if (interrupt.interrupted()) return 130;
  return report.ok ? 0 : 1;
}

/** Results go to stdout as each prompt finishes; what is running and model loads go to stderr. */
function onEvent(io: CliIo, color: boolean, live: boolean): (event: VerifyEvent) => void {
  const c = colors(color);
  const status = (line: string) => live && io.stderr.write(`\r\x1b[K${line}`);
  return (event) => {
    if (event.type === "start") status(c.dim(`… regenerating ${event.prompt} (${event.model})`));
    else if (event.type === "progress")
      status(
        c.dim(`… regenerating ${event.prompt}: ${count(event.tokens, "token")}, ${formatSeconds(event.elapsedMs)}`),
      );
    else if (event.type === "model" && event.event.type === "loaded") {
      status("");
      io.stderr.write(c.dim(`  loaded ${event.event.file} in ${formatSeconds(event.event.loadMs)}\n`));
    } else if (event.type === "retry")
      io.stderr.write(c.yellow(`  retrying ${event.prompt}: ${event.message.split("\n")[0]}\n`));
    else if (event.type === "done") {
      status("");
      io.stdout.write(`${resultText(event.result, color)}\n`);
    }
  };
}

const LABEL: Record<VerifyOutcome, string> = {
  reproducible: "reproducible",
  differs: "differs",
  "not-built": "not built",
  unverifiable: "unverifiable",
  failed: "failed",
};

export function resultText(r: PromptVerifyResult, color: boolean): string {
  const c = colors(color);
  const outputs = r.outputs.map((o) => o.path).join(", ");
  const lines: string[] = [];
  switch (r.outcome) {
    case "reproducible":
      lines.push(`${c.green("✓ reproducible")} ${r.prompt} → ${outputs}`);
      break;
    case "differs":
      lines.push(`${c.red("✗ differs")} ${r.prompt}`);
      break;
    case "failed":
      lines.push(`${c.red("✗ failed")} ${r.prompt}`);
      break;
    default:
      lines.push(`${c.yellow(`- ${LABEL[r.outcome]}`)} ${r.prompt}`);
  }
  for (const reason of r.reasons) lines.push(`  ${reason.split("\n").join("\n  ")}`);
  if (r.outcome === "failed" && r.error?.hint) lines.push(c.dim(`  ${r.error.hint.split("\n").join("\n  ")}`));
  for (const o of r.outputs) if (o.diff) lines.push(paintDiff(o.diff, color));
  for (const hint of r.hints) lines.push(c.yellow(`  hint: ${hint}`));
  return lines.join("\n");
}

/** A unified diff with its `===` banner dropped, cut to MAX_DIFF_LINES, coloured like git's. */
function paintDiff(diff: string, color: boolean): string {
  const c = colors(color);
  const lines = diff.replace(/^=+\n/, "").replace(/\n$/, "").split("\n");
  const shown = lines.slice(0, MAX_DIFF_LINES).map((line) => {
    if (line.startsWith("+++") || line.startsWith("---")) return c.bold(line);
    if (line.startsWith("@@")) return c.cyan(line);
    if (line.startsWith("+")) return c.green(line);
    if (line.startsWith("-")) return c.red(line);
    return line;
  });
  if (lines.length > MAX_DIFF_LINES)
    shown.push(c.dim(`… ${lines.length - MAX_DIFF_LINES} more lines (pc verify --json has the whole diff)`));
  return shown.join("\n");
}

function summary(report: VerifyReport, color: boolean): string {
  const c = colors(color);
  const t = report.totals;
  if (report.prompts.length === 0) return "No prompts to verify.";
  const parts = [
    `${t.reproducible} reproducible`,
    t.differs ? c.red(`${t.differs} differ${t.differs === 1 ? "s" : ""}`) : "0 differ",
    ...(t["not-built"] ? [`${t["not-built"]} not built`] : []),
    ...(t.unverifiable ? [c.yellow(`${t.unverifiable} unverifiable`)] : []),
    ...(t.failed ? [c.red(`${t.failed} failed`)] : []),
  ];
  return `${parts.join(", ")}; ${formatSeconds(report.durationMs)}`;
}

function reportJson(report: VerifyReport) {
  return {
    ok: report.ok,
    durationMs: report.durationMs,
    totals: report.totals,
    prompts: report.prompts.map((p) => ({
      prompt: p.prompt,
      outcome: p.outcome,
      reasons: p.reasons,
      model: p.model ?? null,
      engine: p.engine ?? null,
      outputs: p.outputs.map((o) => ({
        path: o.path,
        matches: o.matches,
        recorded: o.recorded,
        regenerated: o.regenerated,
        onDisk: o.onDisk ?? null,
        problem: o.problem ?? null,
        diff: o.diff ?? null,
      })),
      hints: p.hints,
      error: p.error ? p.error.toJSON() : null,
    })),
  };
}
