// Writes that fail (a read-only folder, a full disk) leave the previous outputs and the lock exactly
// as they were: a prompt's outputs and its lock entry change together or not at all.
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { setBeforeRenameHook } from "../../src/util/fs.js";
import { handOver, otherUser, type OtherUser } from "../support/other-user.js";
import { runPc } from "../support/pc.js";
import { writeFiles, removeProject, readText, tempFiles, snapshotBytes, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer({ answer });
const created: string[] = [];

const PROMPTS = {
  "prompts/a.md": { outputs: ["generated/a1.py", "generated/a2.py"] },
  "prompts/b.md": { outputs: ["generated/b.py"] },
};

function files(version: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [prompt, spec] of Object.entries(PROMPTS)) {
    out[prompt] = promptFile({ outputs: spec.outputs, body: `Write them, ${version}.` });
  }
  return out;
}

/** Answers every output of the request in its own fenced block, text depending on the request. */
function answer(body: { messages: Array<{ content: unknown }> }): string {
  const text = JSON.stringify(body.messages);
  const outputs = [...new Set(text.match(/generated\/[a-z0-9]+\.py/g) ?? [])];
  const tag = text.includes("v2") ? "v2" : "v1";
  return outputs.map((o) => `${o}\n\`\`\`python\nprint("${o} ${tag}")\n\`\`\``).join("\n\n");
}

afterEach(() => setBeforeRenameHook(undefined));
afterAll(async () => {
  await Promise.all(created.map(removeProject));
});

/** A project of its own, built, then with every prompt edited; and what it looked like before the edit. */
async function editedProject() {
  const root = (await makeProject(files("v1"))).root;
  created.push(root);
  const first = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
  expect(first.code, first.stderr).toBe(0);
  const before = await snapshotBytes(root);
  await writeFiles(root, files("v2"));
  return { root, before };
}

function diskError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated failure, write`), { code });
}

/** Outputs and lock as before; only the edited prompt files differ. */
async function expectUntouched(root: string, before: Map<string, Buffer>, except: string[] = []) {
  const after = await snapshotBytes(root);
  for (const [file, bytes] of before) {
    if (file.startsWith("prompts/") || except.includes(file)) continue;
    expect(after.get(file)?.toString(), file).toBe(bytes.toString());
  }
  expect(await tempFiles(root)).toEqual([]);
}

describe("a full disk (ENOSPC from the write)", () => {
  it("on an output: that prompt fails with its outputs and lock entry unchanged; the other is built", async () => {
    const { root, before } = await editedProject();
    setBeforeRenameHook((target) => {
      if (target.endsWith("a2.py")) throw diskError("ENOSPC");
    });
    const report = await build({ cwd: root, baseUrl: server.baseURL });
    const a = report.prompts.find((p) => p.prompt === "prompts/a.md")!;
    expect(a.outcome).toBe("failed");
    expect(a.error?.code).toBe("PC_WRITE_FAILED");
    expect(a.error?.hint).toMatch(/Free some disk space/);
    // a1.py had been replaced before a2.py failed: it is put back.
    await expectUntouched(root, before, ["generated/b.py", "promptfile.lock"]);
    const lock = JSON.parse(await readText(root, "promptfile.lock"));
    const oldLock = JSON.parse(before.get("promptfile.lock")!.toString());
    expect(lock.prompts["prompts/a.md"]).toEqual(oldLock.prompts["prompts/a.md"]);
    expect(lock.prompts["prompts/b.md"]).not.toEqual(oldLock.prompts["prompts/b.md"]);
    expect(await readText(root, "generated/b.py")).toContain("v2");
  });

  it("on the lock: the outputs just written are put back, so nothing looks hand-edited", async () => {
    const { root, before } = await editedProject();
    setBeforeRenameHook((target) => {
      if (target.endsWith("promptfile.lock")) throw diskError("ENOSPC");
    });
    const report = await build({ cwd: root, baseUrl: server.baseURL });
    expect(report.ok).toBe(false);
    for (const p of report.prompts) {
      expect(p.outcome).toBe("failed");
      expect(p.error?.message).toMatch(/cannot record its outputs in promptfile.lock, so they were put back/);
    }
    await expectUntouched(root, before);
    setBeforeRenameHook(undefined);
    // Nothing is drifted: the next build just builds.
    const status = await runPc(["status"], { cwd: root });
    expect(status.stdout).not.toMatch(/drifted/);
    const again = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(again.code, again.stderr).toBe(0);
  });
});

// Root ignores permissions: the binary then runs as an unprivileged user, from a copy of pc it can
// read when this clone is out of its reach (see other-user.ts).
const asRoot = process.getuid?.() === 0;
let user: OtherUser | undefined;
let cannot: string | undefined;
beforeAll(async () => {
  if (!asRoot) return;
  const found = await otherUser();
  if (typeof found === "string") cannot = found;
  else user = found;
});

describe("a read-only folder", () => {
  it("generated/ read-only: every prompt fails with a hint, outputs and lock unchanged", async (ctx) => {
    if (cannot) ctx.skip(`skipped: root ignores permissions and ${cannot}`);
    const { root, before } = await editedProject();
    await handOver(root, user);
    await fsp.chmod(path.join(root, "generated"), 0o555);
    const run = await runPc(["build", "--base-url", server.baseURL], { cwd: root, user, cli: user?.cli });
    await fsp.chmod(path.join(root, "generated"), 0o755);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/prompts\/a\.md: cannot write its outputs: EACCES/);
    expect(run.stderr).toMatch(/Make the folder writable; the previous outputs and the lock are unchanged/);
    expect(run.stderr).toContain("PC_WRITE_FAILED");
    await expectUntouched(root, before);
  });

  it("project root read-only (the lock cannot be written): the new outputs are put back", async (ctx) => {
    if (cannot) ctx.skip(`skipped: root ignores permissions and ${cannot}`);
    const { root, before } = await editedProject();
    await handOver(root, user);
    await fsp.chmod(root, 0o555);
    const run = await runPc(["build", "--base-url", server.baseURL], { cwd: root, user, cli: user?.cli });
    await fsp.chmod(root, 0o755);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/cannot record its outputs in promptfile\.lock, so they were put back: EACCES/);
    await expectUntouched(root, before);
  });
});
