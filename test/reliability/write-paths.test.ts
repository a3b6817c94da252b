// Every write path reports a full disk, a read-only file system or a permission problem as
// PC_WRITE_FAILED with a hint (never an engine or internal error), and loses nothing recorded:
// the generation cache, .pc/ itself and the build lock, the failure record.
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { setBeforeRenameHook } from "../../src/util/fs.js";
import { useTestServer } from "../support/test-server.js";
import { copyProject, makeProject, readText, removeProject, writeFiles } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { runPc } from "../support/pc.js";
import { handOver, otherUser, type OtherUser } from "../support/other-user.js";

/** Temp projects held by their root path. */
const makeRoot = async (...args: Parameters<typeof makeProject>) => (await makeProject(...args)).root;
const copyRoot = async (from: string) => (await copyProject(from)).root;

const server = useTestServer();
let base: string;
const created: string[] = [];

beforeAll(async () => {
  base = await makeRoot({
    "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a, v1." }),
    "prompts/b.md": promptFile({ output: "generated/b.py", body: "Write b, v1." }),
  });
  const first = await runPc(["build", "--base-url", server.baseURL], { cwd: base });
  expect(first.code, first.stderr).toBe(0);
});
afterEach(() => setBeforeRenameHook(undefined));
afterAll(async () => {
  await Promise.all([base, ...created].map(removeProject));
});

async function editedCopy(): Promise<{ root: string; lock: string }> {
  const root = await copyRoot(base);
  created.push(root);
  const lock = await readText(root, "promptfile.lock");
  await writeFiles(root, {
    "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a, v2." }),
    "prompts/b.md": promptFile({ output: "generated/b.py", body: "Write b, v2." }),
  });
  return { root, lock };
}

const diskError = (code: string) => Object.assign(new Error(`${code}: simulated failure, write`), { code });

describe.each(["ENOSPC", "EROFS", "EACCES"])("%s", (code) => {
  it("on the generation cache: the prompt fails with PC_WRITE_FAILED before anything is written; the other is built", async () => {
    const { root, lock } = await editedCopy();
    const before = await readText(root, "generated/a.py");
    setBeforeRenameHook((target) => {
      if (
        target.includes(`${path.sep}generations${path.sep}`) &&
        target.endsWith(".json") &&
        !target.includes("failed")
      ) {
        setBeforeRenameHook(undefined); // the first prompt's cache write only
        throw diskError(code);
      }
    });
    const report = await build({ cwd: root, baseUrl: server.baseURL });
    const failed = report.prompts.filter((p) => p.outcome === "failed");
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error?.code).toBe("PC_WRITE_FAILED");
    expect(failed[0]!.error?.message).toContain("generation cache");
    expect(failed[0]!.error?.hint).toMatch(code === "ENOSPC" ? /Free some disk space/ : /Make the folder writable/);
    expect(report.prompts.filter((p) => p.outcome === "built")).toHaveLength(1);
    // The failed prompt's output and lock entry are as before.
    const name = failed[0]!.prompt === "prompts/a.md" ? "a" : "b";
    const oldEntry = JSON.parse(lock).prompts[failed[0]!.prompt];
    expect(JSON.parse(await readText(root, "promptfile.lock")).prompts[failed[0]!.prompt]).toEqual(oldEntry);
    if (name === "a") expect(await readText(root, "generated/a.py")).toBe(before);
  });

  it("on the failure record: reported as a warning with PC_WRITE_FAILED; the build's work is kept", async () => {
    const { root } = await editedCopy();
    server.fail(
      { status: 400, message: "refused" },
      { when: (body) => JSON.stringify(body.messages).includes("generated/a.py") },
    );
    setBeforeRenameHook((target) => {
      if (target.endsWith("failures.json")) throw diskError(code);
    });
    const report = await build({ cwd: root, baseUrl: server.baseURL, retries: 0 });
    expect(report.ok).toBe(false);
    expect(report.warnings.map((w) => w.code)).toEqual(["PC_WRITE_FAILED"]);
    expect(report.prompts.find((p) => p.prompt === "prompts/b.md")?.outcome).toBe("built");
    expect(await readText(root, "generated/b.py")).toBeTruthy();
  });
});

// Root ignores permissions: the binary then runs as an unprivileged user, from a copy of pc it can
// read when this clone is out of its reach (see other-user.ts).
let user: OtherUser | undefined;
let cannot: string | undefined;
beforeAll(async () => {
  if (process.getuid?.() !== 0) return;
  const found = await otherUser();
  if (typeof found === "string") cannot = found;
  else user = found;
});

describe("a read-only .pc/", () => {
  it("the build lock cannot be taken: PC_WRITE_FAILED with a hint, nothing changed, status still works", async (ctx) => {
    if (cannot) ctx.skip(`skipped: root ignores permissions and ${cannot}`);
    const { root, lock } = await editedCopy();
    await handOver(root, user);
    await fsp.chmod(path.join(root, ".pc"), 0o555);
    try {
      const run = await runPc(["build", "--base-url", server.baseURL], { cwd: root, user, cli: user?.cli });
      expect(run.stderr).not.toMatch(/internal error/);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain("PC_WRITE_FAILED");
      expect(run.stderr).toMatch(/build lock/);
      expect(run.stderr).toMatch(/Make the folder writable/);
      expect(await readText(root, "promptfile.lock")).toBe(lock);
      const status = await runPc(["status"], { cwd: root, user, cli: user?.cli });
      expect(status.stderr).not.toMatch(/internal error/);
      expect(status.stdout).toMatch(/prompts\/a\.md\s+stale/);
    } finally {
      await fsp.chmod(path.join(root, ".pc"), 0o755);
    }
  });

  it("the cache folder read-only: every prompt fails with PC_WRITE_FAILED, outputs and lock unchanged", async (ctx) => {
    if (cannot) ctx.skip(`skipped: root ignores permissions and ${cannot}`);
    const { root, lock } = await editedCopy();
    await handOver(root, user);
    await fsp.chmod(path.join(root, ".pc/generations"), 0o555);
    try {
      const run = await runPc(["build", "--base-url", server.baseURL], { cwd: root, user, cli: user?.cli });
      expect(run.stderr).not.toMatch(/internal error|PC_ENGINE_ERROR/);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toContain("PC_WRITE_FAILED");
      expect(run.stderr).toContain("generation cache");
      expect(await readText(root, "promptfile.lock")).toBe(lock);
    } finally {
      await fsp.chmod(path.join(root, ".pc/generations"), 0o755);
    }
  });
});
