// What the editing-loop tests (cache, watch, diff, log, gc, subfolder) do their own way, on top of
// test/support/project.ts: prompt files with their pins, and `pc` runs with colour forced off.
import { promptFile as sharedPromptFile, runPc as runSharedPc, type PcOptions, type PcRun } from "./project.js";

export interface PromptSpec {
  output: string;
  body?: string;
  model?: string;
  seed?: number;
  temperature?: number;
  context?: string[];
  /** Extra frontmatter lines, e.g. "format: false". */
  extra?: string[];
}

/** The text of a prompt file: seed 1 and the body "Write <output>." unless given. */
export function promptFile(spec: PromptSpec): string {
  const { seed, body, extra, ...rest } = spec;
  return sharedPromptFile({ ...rest, seed: seed ?? 1, body: body ?? `Write ${spec.output}.`, extra: extra?.join("\n") });
}

/** Runs the built `pc` in `options.cwd` with FORCE_COLOR=0 as well as NO_COLOR=1. */
export function runPc(args: string[], options: PcOptions): Promise<PcRun> {
  return runSharedPc(args, { ...options, env: { FORCE_COLOR: "0", ...options.env } });
}
