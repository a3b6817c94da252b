import { statSync } from "node:fs";
import path from "node:path";
import { PcError } from "./errors.js";
import { readIfExistsSync, resolveInside } from "./fs.js";

/**
 * Paths read back from pc's own files (promptfile.lock, .pc/generations, .pc/entries) are
 * untrusted: the files may come from another branch or a restored CI cache. A path is used only
 * when it is a plain project path: a non-empty relative posix path with no NUL, no backslash, no
 * empty, `.` or `..` part (so it cannot leave the root by its text; symlinks are checked by
 * resolveInside when the file is read or written).
 */
export function isPlainProjectPath(value: unknown): value is string {
  if (typeof value !== "string" || value === "" || value.length > 4096) return false;
  if (value.includes("\0") || value.includes("\\") || value.startsWith("/") || /^[a-zA-Z]:/.test(value)) return false;
  return value.split("/").every((part) => part !== "" && part !== "." && part !== "..");
}

/** Every key of a recorded path -> hash map is a plain project path (see isPlainProjectPath). */
export function arePlainProjectPaths(record: unknown): boolean {
  return typeof record === "object" && record !== null && Object.keys(record).every(isPlainProjectPath);
}

/** pc's own files and folders, which no prompt may write; undefined when `relative` is none of them. */
export function ownFileOf(relative: string): string | undefined {
  const normal = path.posix.normalize(relative.replace(/\\/g, "/")).replace(/^\.\//, "");
  const [top] = normal.split("/");
  if (top === ".pc") return "pc's own folder .pc/";
  if (top === ".git") return "git's folder .git/";
  if (normal === "promptfile.lock" || normal.startsWith("promptfile.lock.")) return "the lock (promptfile.lock)";
  if (normal === "pc.config.json") return "the project's configuration (pc.config.json)";
  return undefined;
}

/**
 * Checks an output path of `prompt` and returns its absolute path: inside the project (no symlink
 * out), none of pc's own files (`isPrompt` tells prompts and partials), and, if it exists, a
 * regular file (not a folder, fifo or device). Called when the prompt is read and again right
 * before its outputs are written.
 */
export function checkOutputPath(
  root: string,
  relative: string,
  prompt: string,
  isPrompt?: (relative: string) => boolean,
): string {
  const absolute = resolveInside(root, relative, { file: prompt, key: "output", what: "output" });
  const posix = path.posix.normalize(relative.replace(/\\/g, "/"));
  const own = ownFileOf(posix) ?? (isPrompt?.(posix) ? "a prompt file (or partial) of this project" : undefined);
  if (own) {
    throw new PcError("PC_OUTPUT_CONFLICT", `output "${relative}" is ${own}: a prompt may not overwrite it`, {
      file: prompt,
      key: "output",
      hint: "Outputs are generated files outside prompts/ and .pc/, e.g. output: generated/app.py",
    });
  }
  const stat = statSync(absolute, { throwIfNoEntry: false });
  if (stat && !stat.isFile()) {
    const what = stat.isDirectory() ? "a folder" : stat.isFIFO() ? "a fifo" : stat.isSocket() ? "a socket" : "a device";
    throw new PcError("PC_OUTPUT_CONFLICT", `output "${relative}" is ${what}, not a file`, {
      file: prompt,
      key: "output",
      hint: `An output is one file the prompt writes; name a file, e.g. output: ${posix.replace(/\/?$/, "")}/main.py`,
    });
  }
  return absolute;
}

/**
 * The bytes of a project file named by a path read back from pc's files, or undefined when it does
 * not exist, is no plain project path, leads out of the project, or is not a regular file.
 */
export function readProjectFile(root: string, relative: string): Buffer | undefined {
  if (!isPlainProjectPath(relative)) return undefined;
  try {
    return readIfExistsSync(resolveInside(root, relative, { what: "file" }));
  } catch (error) {
    if (error instanceof PcError) return undefined;
    throw error;
  }
}
