/**
 * Where a `gguf:<path>` model file is. Models are gigabytes, shared by projects, and kept where the
 * user keeps them: a path relative to the project root (inside it or not), `~/...`, an absolute
 * path, or a file name in the `modelsDir` of pc.config.json. A model is an input by its bytes
 * (its hash), never by where it lies: a model outside the project gets a name without any
 * absolute path (`~/models/x.gguf`, or its file name), the one messages and the lock show.
 */
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { leavesFolder } from "./fs.js";

export interface ModelFile {
  /** The file on this machine. */
  absolute: string;
  /** Posix path relative to the project root when the file is inside the project (an input by path). */
  inProject?: string;
  /** How messages and the lock name it: `models/x.gguf` inside the project, `~/models/x.gguf`, or `x.gguf`. */
  name: string;
}

/** The path of a `gguf:` ref (empty for another kind of model). */
export function ggufPath(model: string): string | undefined {
  return model.startsWith("gguf:") ? model.slice("gguf:".length).replace(/\\/g, "/") : undefined;
}

/** Expands `~` and `~/...` to the home folder. */
export function expandHome(file: string, home = os.homedir()): string {
  return file === "~" ? home : file.startsWith("~/") ? path.join(home, file.slice(2)) : file;
}

/**
 * Finds the file a `gguf:` path names: `~/...` and absolute paths as they are; a relative path in
 * the project root, else (when it is not there) in `modelsDir` (itself relative to the root, `~/` or absolute).
 */
export function locateModel(root: string, file: string, modelsDir?: string): ModelFile {
  const expanded = expandHome(file);
  let absolute = path.resolve(root, expanded);
  if (!path.isAbsolute(expanded) && modelsDir && !existsSync(absolute)) {
    const inFolder = path.resolve(root, expandHome(modelsDir), expanded);
    if (existsSync(inFolder)) absolute = inFolder;
  }
  const relative = path.relative(root, absolute);
  if (relative !== "" && !leavesFolder(relative)) {
    const inProject = relative.split(path.sep).join("/");
    return { absolute, inProject, name: inProject };
  }
  return { absolute, name: displayName(absolute) };
}

/** `~/models/x.gguf` under the home folder, else the file name: never an absolute path. */
export function displayName(absolute: string, home = os.homedir()): string {
  const underHome = path.relative(home, absolute);
  if (underHome && !leavesFolder(underHome)) return `~/${underHome.split(path.sep).join("/")}`;
  return path.basename(absolute);
}

/**
 * The model as the lock records it: the ref as written, except that an absolute `gguf:` path
 * becomes its name (`~/...` or the file name), so the lock carries no absolute path. The file's
 * hash in the entry is what identifies the model.
 */
export function lockedModelName(model: string): string {
  const file = ggufPath(model);
  return file !== undefined && path.isAbsolute(file) ? `gguf:${displayName(file)}` : model;
}
