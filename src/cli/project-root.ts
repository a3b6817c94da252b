import { existsSync } from "node:fs";
import path from "node:path";
import { CONFIG_FILE } from "../util/config.js";
import { PcError } from "../util/errors.js";
import { LOCK_FILE } from "../lock/lockfile.js";

/** What makes a folder a project's root: its config, its lock, or (before the first build, with no config) its prompts folder. */
const MARKERS = [CONFIG_FILE, LOCK_FILE, "prompts"];

/** The nearest folder from `dir` up that holds one of MARKERS, as git looks for .git. */
export function findProjectRoot(dir: string): string | undefined {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    if (MARKERS.some((marker) => existsSync(path.join(current, marker)))) return current;
    if (path.dirname(current) === current) return undefined;
  }
}

let fromStart: ((given: string) => string) | undefined;

/**
 * Moves to the project's root when pc is started in one of its subfolders. Returns the paths given
 * on the command line, which are relative to where pc was started, as paths from the root. A folder
 * with no project in it or above it is refused: reporting "all 0 prompts are fresh" there, or
 * creating .pc/, would hide that pc was started in the wrong place.
 */
export function enterProject(given: string[] = []): string[] {
  if (!fromStart) {
    const start = process.cwd();
    const root = findProjectRoot(start);
    if (!root) throw notAProject(start);
    if (root !== start) {
      process.chdir(root);
      fromStart = (p) => path.relative(root, path.resolve(start, p)) || ".";
    } else {
      fromStart = (p) => p;
    }
  }
  return given.map(fromStart);
}

function notAProject(dir: string): PcError {
  return new PcError(
    "PC_NOT_A_PROJECT",
    `${dir} is not in a pc project: neither it nor a folder above it has ${CONFIG_FILE}, ${LOCK_FILE} or a prompts/ folder`,
    {
      hint: "Run pc init to make this folder a project, or cd into one.",
    },
  );
}
