import { promises as fsp } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PcError } from "../util/errors.js";
import { TEMP_FILE_PATTERN, readIfExists, writeFileAtomic } from "../util/fs.js";
import { requireCjs } from "../util/require-cjs.js";

/** How long a lock nobody refreshes stays valid (the holder refreshes it every 2 s). */
const STALE_MS = 10_000;

interface Owner {
  pid: number;
  host: string;
}

/**
 * Holds the project for one writer at a time (two `pc build`s never write the same files). The
 * lock is proper-lockfile's `.pc/build.lock`; `.pc/build.owner` says which process holds it, so a
 * lock left by a process that died on this machine (killed, crashed) is taken over at once instead
 * of after the 10 s staleness period, and the temp files of the writes it was killed in are removed.
 */
export async function acquireProjectLock(root: string): Promise<() => Promise<void>> {
  const lockfile = requireCjs("proper-lockfile") as typeof import("proper-lockfile"); // see requireCjs
  const dir = path.join(root, ".pc");
  const lockPath = path.join(dir, "build.lock");
  const ownerPath = path.join(dir, "build.owner");
  await fsp.mkdir(dir, { recursive: true });
  const lock = () =>
    lockfile.lock(dir, {
      lockfilePath: lockPath,
      stale: STALE_MS,
      update: 2_000,
      retries: 0,
      realpath: false,
      onCompromised: () => {
        // Another process took the lock over after ours went stale (this process stalled for >10 s).
        // Finishing is still safe (every write is atomic); the next build re-checks every hash.
      },
    });
  let release: () => Promise<void>;
  try {
    release = await lock();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ELOCKED") throw error;
    const owner = await readOwner(ownerPath);
    if (!owner || !isDead(owner)) throw busy(owner, error);
    // Aged past the staleness period, the dead process's lock is removed by proper-lockfile itself.
    const past = new Date(Date.now() - 2 * STALE_MS);
    await fsp.utimes(lockPath, past, past).catch(() => {});
    try {
      release = await lock();
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code === "ELOCKED") throw busy(await readOwner(ownerPath), again);
      throw again;
    }
    await removeLeftoverTemps(root);
  }
  await writeFileAtomic(ownerPath, `${JSON.stringify({ pid: process.pid, host: os.hostname() } satisfies Owner)}\n`).catch(() => {});
  return async () => {
    await fsp.rm(ownerPath, { force: true }).catch(() => {});
    await release();
  };
}

/**
 * A process killed while writing leaves its temp file (`.<name>.pc-<random>.tmp`, see
 * writeFileAtomic) beside the file it was replacing. Once its lock is taken over, nothing can still
 * be writing them. Searched for only then, so it may look through the whole project.
 */
async function removeLeftoverTemps(root: string): Promise<void> {
  const { glob } = requireCjs("tinyglobby") as typeof import("tinyglobby"); // see requireCjs
  const candidates = await glob("**/.*.tmp", { cwd: root, dot: true, onlyFiles: true, ignore: ["**/node_modules/**", "**/.git/**"] });
  await Promise.all(candidates.filter((file) => TEMP_FILE_PATTERN.test(file)).map((file) => fsp.rm(path.join(root, file), { force: true }).catch(() => {})));
}

async function readOwner(file: string): Promise<Owner | undefined> {
  try {
    const data = JSON.parse((await readIfExists(file))?.toString("utf8") ?? "null") as Partial<Owner> | null;
    return typeof data?.pid === "number" && typeof data.host === "string" ? (data as Owner) : undefined;
  } catch {
    return undefined;
  }
}

/** Only a process of this machine can be known to be dead. */
function isDead(owner: Owner): boolean {
  if (owner.host !== os.hostname() || owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

function busy(owner: Owner | undefined, cause: unknown): PcError {
  const who = owner ? `another pc process (pid ${owner.pid}${owner.host === os.hostname() ? "" : ` on ${owner.host}`})` : "another pc process";
  return new PcError("PC_PROJECT_BUSY", `${who} is building this project`, {
    file: ".pc/build.lock",
    hint: "Wait for it to finish and run the command again. A lock left by a crashed process is taken over after 10 seconds.",
    cause,
  });
}
