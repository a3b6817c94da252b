// A damaged lock (truncated, git conflict markers, a newer lockfileVersion, an invalid entry) is an
// error every command reports clearly, and no command rewrites it; entries whose prompt is gone are
// shown as orphaned until a build drops them.
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPc } from "../support/pc.js";
import { removeProject, readText, readLockJson, snapshotBytes, makeProject, copyProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
let base: string;
let lockText: string;
const created: string[] = [];

beforeAll(async () => {
  base = (
    await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
      "prompts/b.md": promptFile({ output: "generated/b.py", body: "Write b." }),
    })
  ).root;
  expect((await runPc(["build", "--base-url", server.baseURL], { cwd: base })).code).toBe(0);
  lockText = await readText(base, "promptfile.lock");
});
afterAll(async () => {
  await Promise.all([base, ...created].map(removeProject));
});

async function withLock(text: string): Promise<string> {
  const root = (await copyProject(base)).root;
  created.push(root);
  await fsp.writeFile(path.join(root, "promptfile.lock"), text);
  // An edited prompt: a build would have work to do if it ran.
  await fsp.writeFile(
    path.join(root, "prompts/a.md"),
    promptFile({ output: "generated/a.py", body: "Write a, again." }),
  );
  return root;
}

const conflicted = () => {
  const lines = lockText.split("\n");
  const at = lines.findIndex((l) => l.includes('"inputHash"'));
  const theirs = lines[at]!.replace(/[0-9a-f]{8}"/, 'deadbeef"');
  return [
    ...lines.slice(0, at),
    "<<<<<<< HEAD",
    lines[at],
    "=======",
    theirs,
    ">>>>>>> feature",
    ...lines.slice(at + 1),
  ].join("\n");
};

const damaged = [
  {
    name: "truncated",
    text: () => lockText.slice(0, Math.floor(lockText.length * 0.6)),
    code: "PC_LOCK_INVALID",
    message: /promptfile\.lock: is not valid JSON \(truncated or corrupt\)/,
    fix: /pc lock --repair/,
  },
  {
    name: "with git conflict markers",
    text: conflicted,
    code: "PC_LOCK_CONFLICT",
    message: /promptfile\.lock:\d+: has unresolved git conflict markers/,
    fix: /pc lock --repair/,
  },
  {
    name: "from a newer pc (unknown lockfileVersion)",
    text: () => lockText.replace('"lockfileVersion": 1', '"lockfileVersion": 7'),
    code: "PC_LOCK_VERSION",
    message: /lockfileVersion 7, newer than this pc understands \(1\)/,
    fix: /Upgrade pc/,
  },
  {
    name: "with an invalid entry",
    text: () => lockText.replace(/"inputHash": "sha256:[0-9a-f]+"/, '"inputHash": "md5:abc"'),
    code: "PC_LOCK_INVALID",
    message: /is not a valid lock: entry "prompts\/a\.md", inputHash: /,
    fix: /git checkout promptfile\.lock/,
  },
  { name: "empty", text: () => "", code: "PC_LOCK_INVALID", message: /not valid JSON/, fix: /pc lock --repair/ },
];

describe("a damaged lock", () => {
  it.each(damaged)(
    "$name: every command stops with a clear error (exit 2) and leaves the lock and outputs alone",
    async ({ text, code, message, fix }) => {
      const root = await withLock(text());
      const before = await snapshotBytes(root);
      server.reset();
      for (const command of [
        ["status"],
        ["check"],
        ["build", "--base-url", server.baseURL],
        ["build", "--force", "--base-url", server.baseURL],
      ]) {
        const run = await runPc(command, { cwd: root });
        expect(run.code, `${command.join(" ")}: ${run.stderr}`).toBe(2);
        expect(run.stderr).toMatch(message);
        expect(run.stderr).toMatch(fix);
        expect(run.stderr).toContain(code);
      }
      expect(server.chatRequests()).toEqual([]);
      expect(await snapshotBytes(root)).toEqual(before);
    },
  );
});

describe("lock entries whose prompt is gone", () => {
  it("are shown as orphaned and fail the check; a build drops the entry, says so, and keeps the outputs", async () => {
    const root = (await copyProject(base)).root;
    created.push(root);
    await fsp.rm(path.join(root, "prompts/b.md"));
    const others = (await readLockJson(root)).prompts;
    delete others["prompts/b.md"];

    const status = await runPc(["status"], { cwd: root });
    expect(status.stdout).toMatch(/prompts\/b\.md\s+orphaned\s+generated\/b\.py\s+llm\s+the prompt file is gone/);
    expect((await runPc(["check"], { cwd: root })).code).toBe(1);

    const build = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(build.code, build.stderr).toBe(0);
    expect(build.stderr).toContain(
      "dropped the lock entry of prompts/b.md: the prompt file is gone and its outputs are kept (generated/b.py",
    );
    expect((await readLockJson(root)).prompts).toEqual(others);
    expect((await runPc(["check"], { cwd: root })).code).toBe(0);
    expect(await readText(root, "generated/b.py")).toBe(await readText(base, "generated/b.py"));
  });
});
