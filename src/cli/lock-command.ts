import {
  repairLock,
  type LockRepairOptions,
  type LockRepairReport,
  type RepairedPrompt,
} from "../commands/lock-repair.js";
import type { CliIo } from "./io.js";
import { colors, printJson, table, useColor } from "./output.js";
import { count } from "../util/plural.js";

/** `pc lock`'s options: the library's, plus what only the terminal has. */
export interface LockCommandOptions extends Pick<LockRepairOptions, "cwd"> {
  /** Write the repaired lock (the library's `write`). */
  repair?: boolean;
  json?: boolean;
}

/**
 * `pc lock`: checks the lock against the outputs on disk (exit 0 when they agree, 1 when a repair
 * would change it, 2 when it cannot be read). `pc lock --repair` fixes it, never calling a model.
 */
export async function lockCommand(io: CliIo, options: LockCommandOptions): Promise<number> {
  const repair = Boolean(options.repair);
  const report = await repairLock({ cwd: options.cwd, write: repair });
  if (options.json) {
    printJson(io, { ...report, problem: report.problem?.toJSON() ?? null });
  } else {
    io.stdout.write(describe(report, repair, useColor(io)));
  }
  if (repair) return 0;
  if (!report.readable) return 2;
  return report.changed ? 1 : 0;
}

const ACTION: Record<RepairedPrompt["action"], string> = {
  ok: "ok",
  missing: "missing",
  stale: "stale",
  recovered: "recovered",
  unverified: "drifted",
  lost: "not recovered",
  orphaned: "orphaned",
};

function describe(report: LockRepairReport, repair: boolean, color: boolean): string {
  const c = colors(color);
  const rows = report.prompts
    .filter((p) => p.action !== "ok" || !report.readable)
    .map((p) => [p.prompt, ACTION[p.action], [p.from ? `from ${p.from}: ` : "", p.reasons.join("; ")].join("")]);
  const lines: string[] = [];
  if (report.readable) {
    const stale = report.prompts.filter((p) => p.action === "stale").length;
    if (!report.changed && rows.length === 0) {
      lines.push(`promptfile.lock matches the outputs of its ${count(report.prompts.length, "prompt")} on disk.`);
    } else {
      lines.push(table(rows, [c.bold("prompt"), c.bold("state"), c.bold("why")]), "");
      if (!report.changed)
        lines.push("Nothing to repair: the entries above are reported by pc status and handled by pc build.");
      else if (report.written) {
        lines.push(
          `Repaired promptfile.lock: ${stale} prompt${stale === 1 ? "" : "s"} marked stale, with the hash of the bytes on disk; \`pc build\` regenerates them (no model call was made).`,
          `The previous lock is kept as ${report.backup}: put it back to undo (a hand edit you want to keep: restore it, then \`pc accept\`).`,
        );
      } else {
        lines.push(
          `\`pc lock --repair\` records the outputs above as found and marks their prompts stale, so \`pc build\` regenerates them instead of refusing them as hand-edited.`,
        );
      }
    }
    return `${lines.join("\n")}\n`;
  }
  lines.push(`promptfile.lock ${report.problem?.message ?? "cannot be read"}.`);
  if (report.written) {
    lines.push(
      `Rebuilt it from what could be recovered${report.backup ? `; the damaged file is kept as ${report.backup}` : ""}. No model call was made.`,
      "",
      table(rows, [c.bold("prompt"), c.bold("state"), c.bold("how")]),
      "",
      "Run `pc status` to see what is fresh; `pc build` regenerates what is missing or stale and keeps outputs it cannot vouch for (drifted).",
    );
    return `${lines.join("\n")}\n`;
  }
  lines.push(
    "",
    "What you can do:",
    table([
      [
        "  git checkout promptfile.lock",
        "take the committed lock back, then `pc lock --repair` to re-check the outputs",
      ],
      ...(report.problem?.code === "PC_LOCK_CONFLICT"
        ? [
            [
              "  git checkout --theirs promptfile.lock",
              "take one side of the merge (or --ours), then `pc lock --repair`",
            ],
          ]
        : []),
      [
        "  pc lock --repair",
        "rebuild it from what can be recovered, as below; the damaged file is kept as promptfile.lock.bak",
      ],
    ]),
    "",
    "What `pc lock --repair` would recover:",
    rows.length
      ? table(rows, [c.bold("prompt"), c.bold("state"), c.bold("how")])
      : "  nothing (no prompts and no readable entry)",
  );
  return `${lines.join("\n")}\n`;
}
