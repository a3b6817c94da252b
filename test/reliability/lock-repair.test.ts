// `pc lock` and `pc lock --repair`: the lock is checked against the outputs on disk, mismatches are
// marked stale, and an unreadable lock is rebuilt from what can be recovered, all without a model
// call and with the previous file kept as a backup.
import { execFileSync } from "node:child_process";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPc } from "../support/pc.js";
import {
  removeProject,
  readText,
  exists,
  readLockJson,
  listFiles,
  makeProject,
  copyProject,
} from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
let base: string;
let lockText: string;
const created: string[] = [];
const PROMPTS = ["a", "b", "c"];

beforeAll(async () => {
  const files: Record<string, string> = {};
  for (const p of PROMPTS) files[`prompts/${p}.md`] = promptFile({ output: `generated/${p}.py`, body: `Write ${p}.` });
  base = (await makeProject(files)).root;
  expect((await runPc(["build", "--base-url", server.baseURL], { cwd: base })).code).toBe(0);
  lockText = await readText(base, "promptfile.lock");
});
afterAll(async () => {
  await Promise.all([base, ...created].map(removeProject));
});

async function copy(): Promise<string> {
  const root = (await copyProject(base)).root;
  created.push(root);
  return root;
}

/** Any model call would reach the test server: the environment points pc at it. */
const env = () => ({ PC_BASE_URL: server.baseURL });

describe("pc lock on a readable lock", () => {
  it("reports a consistent lock and exits 0", async () => {
    const root = await copy();
    const run = await runPc(["lock"], { cwd: root, env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("promptfile.lock matches the outputs of its 3 prompts on disk");
  });

  it("--repair records a mismatched output as found, marks its prompt stale, and the next build regenerates it", async () => {
    const root = await copy();
    await fsp.writeFile(path.join(root, "generated/a.py"), "print('swapped in by a bad merge')\n");
    await fsp.rm(path.join(root, "generated/b.py"));
    expect((await runPc(["status"], { cwd: root })).stdout).toMatch(/prompts\/a\.md\s+drifted/);

    // Without --repair: a report and exit 1, the lock untouched.
    const check = await runPc(["lock"], { cwd: root, env: env() });
    expect(check.code).toBe(1);
    expect(check.stdout).toMatch(/prompts\/a\.md\s+stale\s+generated\/a\.py differs from its recorded hash/);
    expect(check.stdout).toMatch(/prompts\/b\.md\s+missing/);
    expect(await readText(root, "promptfile.lock")).toBe(lockText);

    const repair = await runPc(["lock", "--repair"], { cwd: root, env: env() });
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toContain("1 prompt marked stale");
    expect(repair.stdout).toContain("kept as promptfile.lock.bak");
    expect(await readText(root, "promptfile.lock.bak")).toBe(lockText);
    const entry = (await readLockJson(root)).prompts["prompts/a.md"]!;
    expect(entry.stale).toMatch(/generated\/a\.py did not match the lock/);
    // Only the hash of the mismatched output changed; the rest of the entry is as recorded.
    const old = JSON.parse(lockText).prompts["prompts/a.md"];
    expect({ ...entry, outputs: undefined, stale: undefined }).toEqual({ ...old, outputs: undefined });
    expect(server.requests).toEqual([]);

    const status = await runPc(["status"], { cwd: root });
    expect(status.stdout).toMatch(
      /prompts\/a\.md\s+stale\s+generated\/a\.py\s+llm\s+generated\/a\.py did not match the lock/,
    );
    expect(status.stdout).toMatch(/prompts\/b\.md\s+missing/);
    // The build restores both from the generation cache: still no model call.
    const build = await runPc(["build"], { cwd: root, env: env() });
    expect(build.code, build.stderr).toBe(0);
    expect(server.chatRequests()).toEqual([]);
    expect(await readText(root, "generated/a.py")).toBe(await readText(base, "generated/a.py"));
    expect((await readLockJson(root)).prompts["prompts/a.md"]!.stale).toBeUndefined();
    expect((await runPc(["check"], { cwd: root })).code).toBe(0);
  });

  it("never overwrites an earlier backup", async () => {
    const root = await copy();
    await fsp.writeFile(path.join(root, "promptfile.lock.bak"), "an older backup\n");
    await fsp.writeFile(path.join(root, "generated/c.py"), "edited\n");
    expect((await runPc(["lock", "--repair"], { cwd: root })).code).toBe(0);
    expect(await readText(root, "promptfile.lock.bak")).toBe("an older backup\n");
    expect(await readText(root, "promptfile.lock.bak.1")).toBe(lockText);
  });

  it("refuses a lock from a newer pc instead of rebuilding it", async () => {
    const root = await copy();
    const newer = lockText.replace('"lockfileVersion": 1', '"lockfileVersion": 9');
    await fsp.writeFile(path.join(root, "promptfile.lock"), newer);
    const run = await runPc(["lock", "--repair"], { cwd: root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("PC_LOCK_VERSION");
    expect(await readText(root, "promptfile.lock")).toBe(newer);
    expect(await exists(root, "promptfile.lock.bak")).toBe(false);
  });
});

describe("pc lock on a lock that cannot be parsed", () => {
  it("truncated: explains the options, then --repair rebuilds it from its complete entries and the cache", async () => {
    const root = await copy();
    const truncated = lockText.slice(0, lockText.indexOf('"prompts/b.md"') + 40);
    await fsp.writeFile(path.join(root, "promptfile.lock"), truncated);
    // c was never cached: it cannot be vouched for, and must stay protected.
    const cEntry = JSON.parse(lockText).prompts["prompts/c.md"];
    await fsp.rm(path.join(root, ".pc/generations", cEntry.requestHash.slice(7, 9)), { recursive: true, force: true });

    const check = await runPc(["lock"], { cwd: root, env: env() });
    expect(check.code).toBe(2);
    expect(check.stdout).toContain("promptfile.lock is not valid JSON (truncated or corrupt)");
    expect(check.stdout).toContain("git checkout promptfile.lock");
    expect(check.stdout).toMatch(/prompts\/a\.md\s+recovered\s+from the complete entries of the damaged file/);
    expect(await readText(root, "promptfile.lock")).toBe(truncated);

    const repair = await runPc(["lock", "--repair"], { cwd: root, env: env() });
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/prompts\/a\.md\s+recovered\s+from the complete entries of the damaged file/);
    expect(repair.stdout).toMatch(/prompts\/b\.md\s+recovered\s+from the generation cache/);
    expect(repair.stdout).toMatch(/prompts\/c\.md\s+not recovered\s+no record of how its outputs were made/);
    expect(await readText(root, "promptfile.lock.bak")).toBe(truncated);
    expect(server.requests).toEqual([]);

    const lock = await readLockJson(root);
    const original = JSON.parse(lockText).prompts;
    expect(lock.prompts["prompts/a.md"]).toEqual(original["prompts/a.md"]);
    expect(lock.prompts["prompts/b.md"]!.outputs).toEqual(original["prompts/b.md"].outputs);
    expect(lock.prompts["prompts/b.md"]!.inputHash).toEqual(original["prompts/b.md"].inputHash);
    expect(lock.prompts["prompts/c.md"]).toBeUndefined();
    const status = await runPc(["status"], { cwd: root });
    expect(status.stdout).toMatch(/prompts\/a\.md\s+fresh/);
    expect(status.stdout).toMatch(/prompts\/b\.md\s+fresh/);
    expect(status.stdout).toMatch(/prompts\/c\.md\s+drifted/);
  });

  it("a deleted lock is rebuilt from the generation cache", async () => {
    const root = await copy();
    await fsp.rm(path.join(root, "promptfile.lock"));
    const run = await runPc(["lock", "--repair"], { cwd: root, env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(await listFiles(root).then((f) => f.filter((x) => x.startsWith("promptfile.lock")))).toEqual([
      "promptfile.lock",
    ]);
    expect((await runPc(["check"], { cwd: root })).code).toBe(0);
    expect(server.requests).toEqual([]);
  });

  it("git conflict markers: each prompt takes the side whose outputs are on disk", async () => {
    // Two branches rebuilt b differently; the merge took the feature side of b's prompt and output.
    const ours = await copy();
    const theirs = await copy();
    for (const [root, body] of [
      [ours, "Write b, the main way."],
      [theirs, "Write b, the feature way."],
    ] as const) {
      await fsp.writeFile(path.join(root, "prompts/b.md"), promptFile({ output: "generated/b.py", body }));
      expect((await runPc(["build", "--base-url", server.baseURL], { cwd: root })).code).toBe(0);
    }
    const merged = (await copyProject(theirs)).root;
    created.push(merged);
    await fsp.writeFile(path.join(merged, "base.lock"), lockText);
    await fsp.copyFile(path.join(ours, "promptfile.lock"), path.join(merged, "ours.lock"));
    // git merge-file writes the merge result with conflict markers, exactly as `git merge` would.
    try {
      execFileSync(
        "git",
        ["merge-file", "-L", "HEAD", "-L", "base", "-L", "feature", "ours.lock", "base.lock", "promptfile.lock"],
        { cwd: merged },
      );
    } catch {
      // exit status = number of conflicts
    }
    await fsp.copyFile(path.join(merged, "ours.lock"), path.join(merged, "promptfile.lock"));
    await fsp.rm(path.join(merged, "base.lock"));
    await fsp.rm(path.join(merged, "ours.lock"));
    const conflicted = await readText(merged, "promptfile.lock");
    expect(conflicted).toMatch(/^<<<<<<< HEAD$/m);
    expect(conflicted).toMatch(/^>>>>>>> feature$/m);
    await fsp.rm(path.join(merged, ".pc"), { recursive: true }); // no cache to fall back on: the sides must do
    server.reset();

    const status = await runPc(["status"], { cwd: merged });
    expect(status.code).toBe(2);
    expect(status.stderr).toContain("has unresolved git conflict markers");
    const repair = await runPc(["lock", "--repair"], { cwd: merged, env: env() });
    expect(repair.code, repair.stderr).toBe(0);
    expect(repair.stdout).toMatch(/prompts\/b\.md\s+recovered\s+from the feature side of the conflict/);
    expect(await readText(merged, "promptfile.lock.bak")).toBe(conflicted);
    expect((await readLockJson(merged)).prompts["prompts/b.md"]).toEqual(
      (await readLockJson(theirs)).prompts["prompts/b.md"],
    );
    const check = await runPc(["check"], { cwd: merged });
    expect(check.code, check.stdout).toBe(0);
    expect(server.requests).toEqual([]);
  });
});
