// Helpers of the chat tests, on top of test/support/project.ts: `pc` run as on a machine with no
// display (so no clipboard), the generations pc stored, and answers as chat UIs format them.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { pcEnv, runPc as runSharedPc, type EnvChanges, type PcOptions, type PcRun } from "../support/project.js";

/** No X11 or Wayland display: what a headless machine (or CI) has. */
const NO_DISPLAY: EnvChanges = { DISPLAY: undefined, WAYLAND_DISPLAY: undefined };

/** The environment of a machine with no display, with `extra` on top (which may set one). */
export function noDisplayEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return pcEnv({ ...NO_DISPLAY, ...extra });
}

/** Runs the built `pc` in `options.cwd` with no display; stdin is `options.input`, or empty. */
export function runPc(args: string[], options: PcOptions): Promise<PcRun> {
  return runSharedPc(args, { input: "", ...options, env: { ...options.env, ...NO_DISPLAY } });
}

/** Every generation stored under .pc/generations, parsed. */
export async function storedGenerations(root: string): Promise<Array<Record<string, unknown>>> {
  const dir = path.join(root, ".pc/generations");
  let entries: string[];
  try {
    entries = (await readdir(dir, { recursive: true })) as string[];
  } catch {
    return [];
  }
  const files = entries.filter((f) => f.endsWith(".json"));
  return Promise.all(files.map(async (f) => JSON.parse(await readFile(path.join(dir, f), "utf8"))));
}

/** A fenced code block as a chat UI shows it, wrapped in the chatter chat UIs add. */
export function chatAnswer(blocks: Array<{ label?: string; lang: string; code: string }>): string {
  const parts = ["Sure! Here is the code you asked for.", ""];
  for (const b of blocks) {
    if (b.label) parts.push(`**${b.label}**`);
    parts.push(`\`\`\`${b.lang}`, b.code.trimEnd(), "```", "");
  }
  parts.push("Let me know if you want any changes.");
  return `${parts.join("\n")}\n`;
}
