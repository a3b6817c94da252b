import { promises as fsp } from "node:fs";
import path from "node:path";
import { PcError } from "../errors.js";
import { requireCjs } from "../util/require-cjs.js";

/**
 * Holds the project for one writer at a time (two `pc build`s never write the same files). A lock
 * left by a dead process goes stale and is taken over (proper-lockfile refreshes it while held).
 */
export async function acquireProjectLock(root: string): Promise<() => Promise<void>> {
  const lockfile = requireCjs("proper-lockfile") as typeof import("proper-lockfile"); // see requireCjs
  const dir = path.join(root, ".pc");
  await fsp.mkdir(dir, { recursive: true });
  try {
    return await lockfile.lock(dir, {
      lockfilePath: path.join(dir, "build.lock"),
      stale: 10_000,
      update: 2_000,
      retries: 0,
      realpath: false,
      onCompromised: () => {
        // Another process took the lock over after ours went stale (this process stalled for >10 s).
        // Finishing is still safe (every write is atomic); the next build re-checks every hash.
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ELOCKED") {
      throw new PcError("PC_PROJECT_BUSY", "another pc process is building this project", {
        file: ".pc/build.lock",
        hint: "Wait for it to finish and run the command again. A lock left by a crashed process is taken over after 10 seconds.",
        cause: error,
      });
    }
    throw error;
  }
}
