import path from "node:path";
import { PcError } from "../util/errors.js";
import type { Project } from "./project.js";
import { toPosix } from "../util/fs.js";

/**
 * Resolves command-line paths to prompts: a prompt file, one of its outputs, or a folder holding
 * prompts. Paths are taken relative to `cwd` and mapped to the project root. No paths: undefined
 * (every prompt).
 */
export function selectPrompts(project: Project, cwd: string, paths: [string, ...string[]]): string[];
export function selectPrompts(project: Project, cwd: string, paths: string[] | undefined): string[] | undefined;
export function selectPrompts(project: Project, cwd: string, paths: string[] | undefined): string[] | undefined {
  if (!paths || paths.length === 0) return undefined;
  const selected = new Set<string>();
  for (const given of paths) {
    const rel = toPosix(path.relative(project.root, path.resolve(cwd, given))); // resolve drops a trailing /
    const before = selected.size;
    for (const loaded of project.prompts.values()) {
      if (loaded.prompt === rel || loaded.outputs.includes(rel) || rel === "" || loaded.prompt.startsWith(`${rel}/`)) {
        selected.add(loaded.prompt);
      }
    }
    if (rel in project.lock.prompts) selected.add(rel);
    if (selected.size === before) {
      throw new PcError("PC_PROMPT_NOT_FOUND", `no prompt matches "${given}"`, {
        hint: `Give a prompt file (prompts/app.md), one of its outputs, or a folder of prompts. Known prompts: ${[...project.prompts.keys()].slice(0, 5).join(", ") || "none"}`,
      });
    }
  }
  return [...selected];
}

/** The selected prompts plus every prompt they depend on (transitively). */
export function withDependencies(project: Project, prompts: string[]): Set<string> {
  const result = new Set<string>();
  const visit = (p: string) => {
    if (result.has(p)) return;
    result.add(p);
    for (const dep of project.graph.dependsOn.get(p) ?? []) visit(dep);
  };
  prompts.forEach(visit);
  return result;
}
