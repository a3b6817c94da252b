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

/** The project pc was started in: its root, and the paths given on the command line as paths from it. */
export interface ProjectPlace {
  /** The project's root: the `cwd` the library's commands are given. */
  root: string;
  /** A path given on the command line, relative to where pc was started, as a path from the root. */
  fromStart(given: string): string;
}

/**
 * The project `start` is in, when pc is started in its root or one of its subfolders. A folder with
 * no project in it or above it is refused: reporting "all 0 prompts are fresh" there, or creating
 * .pc/, would hide that pc was started in the wrong place.
 */
export function locateProject(start: string): ProjectPlace {
  const from = path.resolve(start);
  const root = findProjectRoot(from);
  if (!root) throw notAProject(from);
  // Started in the root: paths are already from it, and are passed on as typed.
  if (root === from) return { root, fromStart: (given) => given };
  return { root, fromStart: (given) => path.relative(root, path.resolve(from, given)) || "." };
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
