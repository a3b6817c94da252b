import { glob } from "tinyglobby";
import path from "node:path";
import type { ProjectConfig } from "../config/config.js";

export interface Discovered {
  /** Buildable prompts: posix paths relative to the root, sorted. */
  prompts: string[];
}

/** Never context: ignored when a prompt's context globs are expanded (rendering, and the planner's re-check). */
export const CONTEXT_IGNORE = ["**/node_modules/**", ".git/**", ".pc/**"];

export function isPartial(file: string): boolean {
  return path.posix.basename(file).startsWith("_");
}

/** Finds the buildable prompts of a project (files matching the prompt globs, not starting with `_`). */
export async function discoverPrompts(root: string, config: ProjectConfig): Promise<Discovered> {
  // tinyglobby rather than fast-glob: the same matching (picomatch) for a third of the load time
  // (about 18 ms of CPU instead of 40), which every command pays before it does anything.
  const files = await glob(config.prompts, {
    cwd: root,
    ignore: ["**/node_modules/**", "**/.git/**", ".pc/**", ...config.exclude],
    onlyFiles: true,
    dot: false,
    expandDirectories: false, // as fast-glob: a pattern naming a folder does not mean its files
  });
  const prompts = files.filter((f) => !isPartial(f)).sort();
  return { prompts };
}
