import { promises as fsp } from "node:fs";
import path from "node:path";
import { TEMP_FILE_PATTERN, readdirIfExistsSync } from "../util/fs.js";
import { requireCjs } from "../util/require-cjs.js";

/**
 * A process killed while writing leaves its temp file (`.<name>.pc-<random>.tmp`, see
 * writeFileAtomic) beside the file it was replacing. Once its lock is taken over, nothing can still
 * be writing them: the whole project is searched.
 */
export async function removeLeftoverTemps(root: string): Promise<void> {
  const { glob } = requireCjs("tinyglobby") as typeof import("tinyglobby"); // see requireCjs
  const candidates = await glob("**/.*.tmp", {
    cwd: root,
    dot: true,
    onlyFiles: true,
    ignore: ["**/node_modules/**", "**/.git/**"],
  });
  await Promise.all(
    candidates
      .filter((file) => TEMP_FILE_PATTERN.test(file))
      .map((file) => fsp.rm(path.join(root, file), { force: true }).catch(() => {})),
  );
}

/**
 * The temp files in a few folders (not their subfolders), removed whenever the build mutex is
 * taken: the root (promptfile.lock's), .pc/ and the folders of the outputs, where a build killed
 * earlier left them (its mutex may have been taken over long ago). Only the mutex's holder writes there.
 */
export async function removeTempsIn(root: string, folders: string[]): Promise<void> {
  const removals: Array<Promise<void>> = [];
  for (const folder of new Set(folders)) {
    const dir = path.join(root, folder);
    for (const name of readdirIfExistsSync(dir)) {
      if (name.startsWith(".") && TEMP_FILE_PATTERN.test(name))
        removals.push(fsp.rm(path.join(dir, name), { force: true }).catch(() => {}));
    }
  }
  await Promise.all(removals);
}
