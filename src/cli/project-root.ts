import { existsSync } from "node:fs";
import path from "node:path";
import { CONFIG_FILE } from "../config/config.js";
import { LOCK_FILE } from "../lock/lockfile.js";

/** The nearest folder from `dir` up that holds pc.config.json or promptfile.lock, as git looks for .git. */
export function findProjectRoot(dir: string): string | undefined {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (existsSync(path.join(current, CONFIG_FILE)) || existsSync(path.join(current, LOCK_FILE))) return current;
    if (path.dirname(current) === current) return undefined;
  }
}

let fromStart: ((given: string) => string) | undefined;

/**
 * Moves to the project's root when pc is started in one of its subfolders (a folder with neither
 * file above it is a project of its own, as before `pc init`). Returns the paths given on the
 * command line, which are relative to where pc was started, as paths from the root.
 */
export function enterProject(given: string[] = []): string[] {
  if (!fromStart) {
    const start = process.cwd();
    const root = findProjectRoot(start);
    if (root && root !== start) {
      process.chdir(root);
      fromStart = (p) => path.relative(root, path.resolve(start, p)) || ".";
    } else {
      fromStart = (p) => p;
    }
  }
  return given.map(fromStart);
}
