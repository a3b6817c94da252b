import fg from "fast-glob";
import path from "node:path";
import type { ProjectConfig } from "../config/config.js";

export interface Discovered {
  /** Buildable prompts: posix paths relative to the root, sorted. */
  prompts: string[];
}

export function isPartial(file: string): boolean {
  return path.posix.basename(file).startsWith("_");
}

/** Finds the buildable prompts of a project (files matching the prompt globs, not starting with `_`). */
export async function discoverPrompts(root: string, config: ProjectConfig): Promise<Discovered> {
  const files = await fg(config.prompts, {
    cwd: root,
    ignore: ["**/node_modules/**", "**/.git/**", ".pc/**", ...config.exclude],
    onlyFiles: true,
    dot: false,
  });
  const prompts = files.filter((f) => !isPartial(f)).sort();
  return { prompts };
}
