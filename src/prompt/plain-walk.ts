import { lstatSync, readdirSync } from "node:fs";
import path from "node:path";

/** The prompt pattern of the default config, which walkPlainPrompts answers without a glob library. */
export const DEFAULT_PROMPTS = "prompts/**/*.md";

/**
 * The files `prompts/**\/*.md` matches (with dot: false, node_modules and .git ignored), found with
 * a plain walk of prompts/. Returns undefined, so the caller globs instead, as soon as the tree
 * holds anything but directories and regular files (symbolic links, sockets...) or a folder cannot
 * be read: there, following links and reporting errors are the glob library's rules to apply.
 *
 * Why: loading tinyglobby and matching its compiled patterns was a large part of a no-op check of
 * many prompts; this walk is a small fraction of it.
 */
export function walkPlainPrompts(root: string): string[] | undefined {
  const top = lstatSync(path.join(root, "prompts"), { throwIfNoEntry: false });
  if (!top) return [];
  if (!top.isDirectory()) return top.isSymbolicLink() ? undefined : [];
  const found: string[] = [];
  const walk = (folder: string): boolean => {
    let entries;
    try {
      entries = readdirSync(path.join(root, folder), { withFileTypes: true });
    } catch {
      return false;
    }
    for (const entry of entries) {
      // With dot: false, `**` and `*` never match a name that starts with a dot.
      if (entry.name.startsWith(".")) continue;
      const relative = `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name !== "node_modules" && !walk(relative)) return false;
      } else if (entry.isFile()) {
        if (entry.name.endsWith(".md")) found.push(relative);
      } else {
        return false;
      }
    }
    return true;
  };
  return walk("prompts") ? found : undefined;
}
