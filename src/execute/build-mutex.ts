import { promises as fsp, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PcError, isWriteTrouble, writeFailure } from "../util/errors.js";
import { readIfExists, writeFileAtomic } from "../util/fs.js";
import { requireCjs } from "../util/require-cjs.js";
import { removeLeftoverTemps, removeTempsIn } from "./leftover-temps.js";

/** How long a mutex nobody refreshes stays valid (the holder refreshes it every 2 s). */
const STALE_MS = 10_000;
/**
 * proper-lockfile's own staleness check removes a stale lock folder and takes it in two steps, so
 * two processes that find it stale at once can both "win". It is switched off (a day), and the
 * mutex is taken over only by the steps below, one process at a time.
 */
const NEVER_STALE_MS = 24 * 3600_000;

interface Owner {
  pid: number;
  host: string;
  /** (`lock` in .pc/build.owner) The inode of the mutex folder it was written for: an owner file left by an earlier mutex says nothing about this one. */
  lock?: number;
}

interface Paths {
  dir: string;
  /** `.pc/build.lock`, the folder proper-lockfile creates: held means the mutex is held. */
  mutex: string;
  owner: string;
  /** Held (mkdir) by the one process taking over a dead or stale mutex. */
  takeover: string;
}

/**
 * The build mutex: holds the project for one writer at a time (two `pc build`s never write the
 * same files). It is proper-lockfile's `.pc/build.lock` folder (created atomically, its time
 * refreshed every 2 s); `.pc/build.owner` says which process holds it. A mutex whose owner died on
 * this machine (killed, crashed) is taken over at once, and one of unknown or remote owner once its
 * time is 10 s old, by exactly one process: under `.pc/build.takeover`, the holder is judged again,
 * the mutex folder removed and taken, and the owner written before anyone else may look. The temp files of
 * writes a dead process was killed in are then removed from the whole project; on every other
 * acquisition, from the folders given (the outputs' folders) and the root and .pc/.
 */
export async function acquireBuildMutex(root: string, outputFolders: string[] = []): Promise<() => Promise<void>> {
  const dir = path.join(root, ".pc");
  const paths: Paths = {
    dir,
    mutex: path.join(dir, "build.lock"),
    owner: path.join(dir, "build.owner"),
    takeover: path.join(dir, "build.takeover"),
  };
  await fsp.mkdir(dir, { recursive: true }).catch((error) => {
    throw setUpFailed("cannot create pc's folder .pc/", error);
  });
  let release = await tryTake(paths);
  if (release) {
    await removeTempsIn(root, ["", ".pc", ...outputFolders]);
  } else {
    release = await takeOver(root, paths);
  }
  return release;
}

/** Takes the mutex if it is free; undefined when it is held. Owner written before it returns. */
async function tryTake(paths: Paths): Promise<(() => Promise<void>) | undefined> {
  const lockfile = requireCjs("proper-lockfile") as typeof import("proper-lockfile"); // see requireCjs
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(paths.dir, {
      lockfilePath: paths.mutex,
      stale: NEVER_STALE_MS,
      update: 2_000,
      retries: 0,
      realpath: false,
      onCompromised: () => {
        // The mutex folder was removed under us (by hand). Finishing is still safe (every write is atomic).
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOCKED") return undefined;
    throw setUpFailed("cannot take the build lock .pc/build.lock", error);
  }
  const owner: Owner = {
    pid: process.pid,
    host: os.hostname(),
    lock: statSync(paths.mutex, { throwIfNoEntry: false })?.ino,
  };
  try {
    await writeFileAtomic(paths.owner, `${JSON.stringify(owner)}\n`);
  } catch (error) {
    await release().catch(() => {});
    throw setUpFailed("cannot record the build lock's owner in .pc/build.owner", error);
  }
  return async () => {
    // The owner first (if it is still this process's): a mutex with no owner is honoured until
    // stale, an owner with no mutex means nothing.
    if ((await readOwner(paths.owner))?.pid === process.pid) await fsp.rm(paths.owner, { force: true }).catch(() => {});
    await release().catch(() => {});
  };
}

/**
 * The mutex is held: taken over when its holder is dead (or it is stale), by the one process that
 * holds `.pc/build.takeover`; every other process is told the project is busy.
 */
async function takeOver(root: string, paths: Paths): Promise<() => Promise<void>> {
  const first = await holder(paths);
  if (!first.gone) throw busy(first.owner);
  if (!(await takeMutex(paths.takeover))) throw busy(first.owner);
  try {
    // Judged again: another process may have taken the project over meanwhile.
    const now = await holder(paths);
    if (!now.gone) throw busy(now.owner);
    if (now.folder) {
      // Only the very mutex folder judged gone is removed: if it is gone already, another process
      // may have just made a new one, which must not be touched (then tryTake finds it held).
      const still = statSync(paths.mutex, { throwIfNoEntry: false });
      if (still?.ino !== now.folder.ino || still.mtimeMs !== now.folder.mtimeMs) throw busy(undefined);
      await fsp.rm(paths.mutex, { recursive: true, force: true });
    }
    const release = await tryTake(paths);
    if (!release) throw busy(undefined);
    await removeLeftoverTemps(root);
    return release;
  } finally {
    await fsp.rmdir(paths.takeover).catch(() => {});
  }
}

/**
 * Who holds the mutex, and whether it is gone: a dead owner of this machine, or no refresh for
 * STALE_MS. `folder`: the mutex folder judged, absent when there is none.
 */
async function holder(
  paths: Paths,
): Promise<{ owner?: Owner; gone: boolean; folder?: { ino: number; mtimeMs: number } }> {
  const stat = statSync(paths.mutex, { throwIfNoEntry: false });
  if (!stat) return { gone: true };
  const folder = { ino: stat.ino, mtimeMs: stat.mtimeMs };
  const written = await readOwner(paths.owner);
  // An owner file written for another mutex folder (an earlier one) says nothing about this one.
  const owner = written && (written.lock === undefined || written.lock === stat.ino) ? written : undefined;
  if (owner && owner.host === os.hostname()) return { owner, gone: isDead(owner), folder };
  return { owner, gone: stat.mtimeMs < Date.now() - STALE_MS, folder };
}

/** mkdir of the takeover folder; one left by a process killed while taking over is removed once stale. */
async function takeMutex(file: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fsp.mkdir(file);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST")
        throw setUpFailed("cannot take over the build lock", error);
      const stat = statSync(file, { throwIfNoEntry: false });
      if (stat && stat.mtimeMs >= Date.now() - STALE_MS) return false;
      await fsp.rmdir(file).catch(() => {});
    }
  }
  return false;
}

async function readOwner(file: string): Promise<Owner | undefined> {
  try {
    const data = JSON.parse((await readIfExists(file))?.toString("utf8") ?? "null") as Partial<Owner> | null;
    if (typeof data?.pid !== "number" || typeof data.host !== "string") return undefined;
    return { pid: data.pid, host: data.host, lock: typeof data.lock === "number" ? data.lock : undefined };
  } catch {
    return undefined;
  }
}

/** Only a process of this machine can be known to be dead. */
function isDead(owner: Owner): boolean {
  if (owner.pid === process.pid || !Number.isInteger(owner.pid) || owner.pid <= 0) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function busy(owner: Owner | undefined): PcError {
  const who = owner
    ? `another pc process (pid ${owner.pid}${owner.host === os.hostname() ? "" : ` on ${owner.host}`})`
    : "another pc process";
  return new PcError("PC_PROJECT_BUSY", `${who} is building this project`, {
    file: ".pc/build.lock",
    hint: "Wait for it to finish and run the command again. A lock left by a crashed process is taken over after 10 seconds.",
  });
}

/** A full disk or a read-only project is the user's to fix (PC_WRITE_FAILED); anything else is reported as it is. */
function setUpFailed(what: string, error: unknown): unknown {
  if (error instanceof PcError || !isWriteTrouble(error)) return error;
  return writeFailure(what, error, { file: ".pc/", unchanged: "Nothing was built or changed." });
}
