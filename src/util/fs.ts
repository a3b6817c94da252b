import crypto, { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  promises as fsp,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { PcError } from "./errors.js";
import { containsSecret } from "./redact.js";

/**
 * crypto.hash (node >= 20.12) hashes in one call without a Hash object, measurably faster than
 * createHash for small files, and a no-op build hashes three files per prompt.
 */
const oneShot = (crypto as Partial<typeof crypto>).hash;

export function sha256(data: string | Uint8Array): string {
  return `sha256:${oneShot ? oneShot("sha256", data, "hex") : crypto.createHash("sha256").update(data).digest("hex")}`;
}

export function toPosix(p: string): string {
  return p.split(path.sep).join("/");
}

/**
 * Whether a path given by `path.relative(folder, target)` leads out of the folder: `..`, `../x`,
 * or an absolute path (another drive). A name that only begins with two dots, such as
 * `..notes.txt`, is a file inside it.
 */
export function leavesFolder(relative: string): boolean {
  return relative === ".." || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

/**
 * Reads a file, or returns undefined when it does not exist. Any other error is reported, and
 * anything but a regular file is refused (PC_FILE_UNREADABLE) without reading a byte: a folder, a
 * fifo (whose open would wait for a writer) or a device such as /dev/zero (which never ends).
 */
export async function readIfExists(file: string): Promise<Buffer | undefined> {
  return readIfExistsSync(file);
}

export function readIfExistsSync(file: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, READ_FLAGS);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    refuseUnlessRegular(fd, file);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** O_NONBLOCK: opening a fifo does not wait for a writer (then fstat refuses it). */
export const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOCTTY ?? 0);

/** Throws PC_FILE_UNREADABLE unless the open file is a regular file. */
export function refuseUnlessRegular(fd: number, file: string): void {
  const stat = fstatSync(fd);
  if (stat.isFile()) return;
  const what = stat.isDirectory() ? "a folder" : stat.isFIFO() ? "a fifo" : stat.isSocket() ? "a socket" : "a device";
  throw new PcError("PC_FILE_UNREADABLE", `${file} is ${what}, not a regular file; pc does not read it`, {
    hint: "Replace it with a regular file, or remove it.",
  });
}

/** A folder's entries, or none when it does not exist. Any other error is reported. */
export function readdirIfExistsSync(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw error;
  }
}

/**
 * Test hook: lets fault tests make the final step of an atomic write fail (or wait there). Set and
 * reset by the test itself; nothing of pc sets it.
 */
let beforeRename: ((target: string) => Promise<void> | void) | undefined;
export function setBeforeRenameHook(hook: typeof beforeRename): void {
  beforeRename = hook;
}

/** Temp files of atomic writes are named `.<name>.pc-<random>.tmp` in the target's folder. */
export const TEMP_FILE_PATTERN = /\.pc-[0-9a-f]{12}\.tmp$/;

// Process-wide on purpose: an exit (a signal) removes the temp files of every write in flight,
// whichever run started it.
const pendingTemps = new Set<string>();

/** Temp files currently being written; signal handlers remove them before exiting. */
export function pendingTempFiles(): string[] {
  return [...pendingTemps];
}

/**
 * Writes a file atomically: a temp file in the same folder, then rename, so a reader (or an
 * interrupted process) never sees a half-written file. Creates the folder if needed.
 *
 * The temp file is written synchronously: through fs.promises that is four thread-pool round trips
 * (mkdir, open, write, close) for a file of a few kilobytes, and a build writes outputs, cache
 * entries and the lock for every prompt. The rename stays asynchronous: on ext4 a rename over an
 * existing file flushes its data first, which the thread pool does in parallel.
 */
export async function writeFileAtomic(
  file: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  // The last line of the secret rule (see redact.ts): whatever was not redacted before is not written.
  if (containsSecret(data)) {
    throw new PcError(
      "PC_SECRET_REFUSED",
      `${path.basename(file)} was not written: its text contains the API key or a credential of the base URL`,
      {
        hint: "pc never stores a secret. Find where the server echoes it (pc doctor), or unset PC_API_KEY if the server needs none.",
      },
    );
  }
  const dir = path.dirname(file);
  const temp = path.join(dir, `.${path.basename(file)}.pc-${randomBytes(6).toString("hex")}.tmp`);
  pendingTemps.add(temp);
  try {
    // Created new, never through a symlink: a link planted under the temp file's name redirects nothing.
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);
    try {
      writeNew(temp, data, flags);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      mkdirSync(dir, { recursive: true }); // the folder is missing: only then is it created
      writeNew(temp, data, flags);
    }
    if (beforeRename) await beforeRename(file);
    // Checked again at the last moment: a folder swapped for a symlink meanwhile redirects nothing.
    if (options.root !== undefined) assertStillInside(options.root, dir, file);
    await fsp.rename(temp, file);
  } catch (error) {
    try {
      rmSync(temp, { force: true });
    } catch {
      // the write's own error is the one to report
    }
    throw error;
  } finally {
    pendingTemps.delete(temp);
  }
}

function writeNew(file: string, data: string | Uint8Array, flags: number): void {
  const fd = openSync(file, flags, 0o666);
  try {
    writeFileSync(fd, data);
  } finally {
    closeSync(fd);
  }
}

export interface AtomicWriteOptions {
  /**
   * The project root the file must stay in: right before the rename, the real path of the file's
   * folder is checked to be inside it (a folder replaced by a symlink while a model generated is
   * refused), and a symlink in the file's place is replaced, not followed.
   */
  root?: string;
}

function assertStillInside(root: string, dir: string, file: string): void {
  const realDir = realpathOfExistingPart(dir);
  if (!isInside(realRootOf(root), realDir)) {
    throw new PcError(
      "PC_PATH_OUTSIDE_PROJECT",
      `${toPosix(path.relative(root, file))} was not written: its folder now leads outside the project (a symlink)`,
      {
        hint: "Replace the symlink with a real folder inside the project and build again.",
      },
    );
  }
}

/**
 * Resolves a project-relative path and refuses anything that leaves the project: absolute paths,
 * `..` escapes, and symlinks (of the file or any folder on the way) pointing outside.
 */
export function resolveInside(
  root: string,
  relative: string,
  where: { file?: string; key?: string; what: string },
): string {
  const fail = (why: string) =>
    new PcError("PC_PATH_OUTSIDE_PROJECT", `${where.what} ${JSON.stringify(String(relative))} ${why}`, {
      file: where.file,
      key: where.key,
      hint: "Paths are relative to the project root and must stay inside it, e.g. generated/app.py",
    });
  if (typeof relative !== "string" || relative === "") throw fail("is empty");
  if (relative.includes("\0")) throw fail("contains a NUL byte");
  if (path.isAbsolute(relative) || /^[a-zA-Z]:[\\/]/.test(relative)) throw fail("is absolute");
  const absolute = path.resolve(root, relative);
  if (!isInside(root, absolute)) throw fail("points outside the project");
  const real = realpathOfExistingPart(absolute);
  const realRoot = realRootOf(root);
  if (!isInside(realRoot, real)) throw fail("passes through a symlink that points outside the project");
  return absolute;
}

function isInside(root: string, target: string): boolean {
  return !leavesFolder(path.relative(root, target));
}

/**
 * The project root's realpath, asked once per process: every path pc reads or writes is checked
 * against it (one realpath per path would be a measurable part of a build). A memo keyed by the
 * root's path: a root that is moved and replaced by a link elsewhere while pc runs is not noticed.
 */
const realRoots = new Map<string, string>();
function realRootOf(root: string): string {
  let real = realRoots.get(root);
  if (real === undefined) realRoots.set(root, (real = realpathOfExistingPart(root)));
  return real;
}

/**
 * realpath of the longest existing prefix of `p`, with the rest appended. The native realpath is
 * one system call; fs.realpathSync walks the path with an lstat per component, a measurable part of
 * rendering many prompts with context files and partials. A missing part is found with
 * existsSync, which throws no error (an output before its first build would cost one per part).
 */
function realpathOfExistingPart(p: string): string {
  let current = p;
  const rest: string[] = [];
  for (;;) {
    if (existsSync(current)) {
      try {
        return path.join(realpathSync.native(current), ...rest.reverse());
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== "ENOENT" && code !== "ENOTDIR") throw error;
      }
    }
    const parent = path.dirname(current);
    if (parent === current) return p;
    rest.push(path.basename(current));
    current = parent;
  }
}
