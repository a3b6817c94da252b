import { gc, type GcOptions } from "../commands/gc.js";
import type { CliIo } from "./io.js";
import { printJson } from "./output.js";

/** `pc gc`'s options: the library's, plus what only the terminal has. */
export interface GcCommandOptions extends Pick<GcOptions, "cwd" | "keep" | "dryRun"> {
  json?: boolean;
}

export async function gcCommand(io: CliIo, options: GcCommandOptions): Promise<number> {
  const { json, ...gcOptions } = options;
  const report = await gc(gcOptions);
  if (json) {
    printJson(io, report);
    return 0;
  }
  const prompts = new Set(report.removed.map((r) => r.prompt)).size;
  const verb = report.dryRun ? "Would remove" : "Removed";
  const lines: string[] = [];
  if (report.removed.length === 0 && report.damaged.length === 0) {
    lines.push(
      `Nothing to remove: ${report.kept} generation${report.kept === 1 ? "" : "s"} kept (at most ${report.keep} per prompt, plus ${report.referenced} referenced by the lock).`,
    );
  } else {
    const what = [
      ...(report.removed.length
        ? [
            `${report.removed.length} generation${report.removed.length === 1 ? "" : "s"} of ${prompts} prompt${prompts === 1 ? "" : "s"}`,
          ]
        : []),
      ...(report.damaged.length
        ? [`${report.damaged.length} unreadable entr${report.damaged.length === 1 ? "y" : "ies"}`]
        : []),
    ];
    lines.push(
      `${verb} ${what.join(" and ")}, ${report.dryRun ? "freeing" : "freed"} ${formatBytes(report.freedBytes)}; kept ${report.kept} (${report.referenced} referenced by the lock, never removed).`,
    );
  }
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} kB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
