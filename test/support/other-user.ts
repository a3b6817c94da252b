// Running pc as another, unprivileged user (root ignores file permissions, so tests that need a
// write to fail drop to `nobody`). That user must be able to reach the built pc: a clone under a
// folder only its owner can enter (`mktemp -d`, root's home) is out of its reach, so pc is then
// linked (or copied) into a folder it can read. Where even that fails, the test is skipped and
// says why: it never passes silently.
import { spawnSync } from "node:child_process";
import { chmod, chown, cp, link, mkdir, mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { CLI, REPO } from "./pc.js";

export interface OtherUser {
  uid: number;
  gid: number;
  /** The built pc as this user can run it (this clone's dist/cli.js, or a readable copy of it). */
  cli: string;
}

/** `nobody` (65534), when the tests run as root. */
export const NOBODY = { uid: 65534, gid: 65534 };

/** What pc needs at run time: its package.json (version), dist/, schemas/ and node_modules/. */
const RUNTIME = ["package.json", "dist", "schemas", "node_modules"];

let prepared: Promise<OtherUser | string> | undefined;
const copies: string[] = [];
afterAll(async () => {
  for (const dir of copies.splice(0)) await rm(dir, { recursive: true, force: true });
});

/**
 * The unprivileged user with a pc it can run, or why there is none (the reason to skip with).
 * Only root can run a process as another user.
 */
export function otherUser(): Promise<OtherUser | string> {
  if (process.getuid?.() !== 0) return Promise.resolve("only root can run pc as another user");
  prepared ??= prepare();
  return prepared;
}

async function prepare(): Promise<OtherUser | string> {
  if (!canRun(NOBODY, ["-e", "0"])) return `uid ${NOBODY.uid} cannot run node (${process.execPath})`;
  if (canRun(NOBODY, [CLI, "--version"])) return { ...NOBODY, cli: CLI };
  const dir = await mkdtemp(path.join(tmpdir(), "pc-runtime-"));
  copies.push(dir);
  await chmod(dir, 0o755); // mkdtemp makes it 0700
  for (const entry of RUNTIME) await linkTree(path.join(REPO, entry), path.join(dir, entry));
  const cli = path.join(dir, "dist/cli.js");
  if (!canRun(NOBODY, [cli, "--version"])) return `uid ${NOBODY.uid} can run neither ${CLI} nor a copy of pc in ${dir}`;
  return { ...NOBODY, cli };
}

function canRun(user: { uid: number; gid: number }, args: string[]): boolean {
  return spawnSync(process.execPath, args, { uid: user.uid, gid: user.gid, cwd: "/", stdio: "ignore" }).status === 0;
}

/** Hard links of every file under `from` (no bytes copied, same permissions); a copy across file systems. */
async function linkTree(from: string, to: string): Promise<void> {
  const entries = await readdir(from, { withFileTypes: true }).catch(() => undefined);
  if (!entries) return void (await linkOrCopy(from, to));
  await mkdir(to, { recursive: true });
  await chmod(to, 0o755); // whatever the umask
  for (const entry of entries) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) await linkTree(source, target);
    else if (entry.isSymbolicLink()) await cp(source, target, { verbatimSymlinks: true });
    else await linkOrCopy(source, target);
  }
}

async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EXDEV" && (error as NodeJS.ErrnoException).code !== "EPERM")
      throw error;
    await cp(from, to);
  }
}

/** Gives a project to the unprivileged user (nothing to do when the tests do not run as root). */
export async function handOver(root: string, user: { uid: number; gid: number } | undefined): Promise<void> {
  if (!user) return;
  const walk = async (dir: string): Promise<void> => {
    await chown(dir, user.uid, user.gid);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) await walk(path.join(dir, entry.name));
      else await chown(path.join(dir, entry.name), user.uid, user.gid);
    }
  };
  await walk(root);
}
