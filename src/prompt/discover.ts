import path from "node:path";
import type { ProjectConfig } from "../util/config.js";
import { requireCjs } from "../util/require-cjs.js";
import { DEFAULT_PROMPTS, walkPlainPrompts } from "./plain-walk.js";

export interface Discovered {
  /** Buildable prompts: posix paths relative to the root, sorted. */
  prompts: string[];
}

/** Never context: ignored when a prompt's context globs are expanded (rendering, and the planner's re-check). */
export const CONTEXT_IGNORE = ["**/node_modules/**", ".git/**", ".pc/**"];

/** A context entry with one of these characters is a glob, expanded against the project. */
export const GLOB_CHARS = /[*?[\]{}()!]/;

export function isPartial(file: string): boolean {
  return path.posix.basename(file).startsWith("_");
}

/** Finds the buildable prompts of a project (files matching the prompt globs, not starting with `_`). */
export async function discoverPrompts(root: string, config: ProjectConfig): Promise<Discovered> {
  const plain = config.prompts.length === 1 && config.prompts[0] === DEFAULT_PROMPTS && config.exclude.length === 0;
  const files = (plain ? walkPlainPrompts(root) : undefined) ?? (await globPrompts(root, config));
  const prompts = files.filter((f) => !isPartial(f)).sort();
  return { prompts };
}

async function globPrompts(root: string, config: ProjectConfig): Promise<string[]> {
  // tinyglobby rather than fast-glob: the same matching (picomatch) in less than half the load time.
  const { glob } = requireCjs("tinyglobby") as typeof import("tinyglobby"); // see requireCjs
  return glob(config.prompts, {
    cwd: root,
    ignore: ["**/node_modules/**", "**/.git/**", ".pc/**", ...config.exclude],
    onlyFiles: true,
    dot: false,
    expandDirectories: false, // as fast-glob: a pattern naming a folder does not mean its files
  });
}
