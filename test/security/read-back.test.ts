// Nothing pc reads back is trusted: promptfile.lock and everything under .pc/ may come from an
// untrusted branch or a restored CI cache. Paths taken from them are used only when they are plain
// project paths of regular files inside the project; reads never hang on a device or fifo; pc lock
// --repair reads nothing outside the project; no command ends in an internal error.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { existsSync, promises as fsp } from "node:fs";
import path from "node:path";
import { startTestServer, type TestServer } from "../support/openai-server.js";
import { copyProject, listFiles, makeProject, readLockJson, removeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { runPc } from "../support/pc.js";

/** Temp projects held by their root path. */
const makeRoot = async (...args: Parameters<typeof makeProject>) => (await makeProject(...args)).root;
const copyRoot = async (from: string) => (await copyProject(from)).root;

const HASH = `sha256:${"0".repeat(64)}`;
let server: TestServer;
let built: string;
/** Outside every project: a fifo (a read would wait forever) and a folder no file may appear in. */
let outside: string;

beforeAll(async () => {
  server = await startTestServer();
  outside = await makeRoot({ "secret.txt": "not for pc" });
  execFileSync("mkfifo", [path.join(outside, "fifo")]);
  built = await makeRoot({
    "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
    "prompts/b.md": promptFile({ output: "generated/b.py", body: "Write b." }),
  });
  const run = await runPc(["build"], { cwd: built, env: { PC_BASE_URL: server.baseURL } });
  expect(run.code, run.stderr).toBe(0);
});

afterAll(async () => {
  await server.close();
  await removeProject(built);
  await removeProject(outside);
});

/** A copy of the built project whose lock entry of prompts/a.md is changed by `edit`. */
async function withLockEntry(edit: (entry: Record<string, any>) => void): Promise<string> {
  const root = await copyRoot(built);
  const lock = await readLockJson(root);
  edit(lock.prompts["prompts/a.md"]!);
  await fsp.writeFile(path.join(root, "promptfile.lock"), `${JSON.stringify(lock, null, 2)}\n`);
  return root;
}

function expectNoInternalError(run: { code: number | null; stderr: string }, what: string): void {
  expect(run.stderr, what).not.toMatch(/internal error/);
  expect([0, 1, 2], `${what}: ${run.stderr}`).toContain(run.code);
}

describe("paths in the lock", () => {
  it("an input that is /dev/zero, a fifo outside or a path out of the project is never read: status and build end", async () => {
    const root = await withLockEntry((entry) => {
      entry.inputs["/dev/zero"] = HASH;
      entry.inputs[`../${path.basename(outside)}/fifo`] = HASH;
      entry.inputs["generated/../../x"] = HASH;
    });
    const status = await runPc(["status"], { cwd: root });
    expectNoInternalError(status, "status");
    // The entry's paths are not taken: the prompt is rendered, and its request is the one recorded.
    expect(status.stdout).toMatch(/prompts\/a\.md\s+fresh/);
    const build = await runPc(["build", "--force", "prompts/a.md"], {
      cwd: root,
      env: { PC_BASE_URL: server.baseURL },
    });
    expect(build.code, build.stderr).toBe(0);
    expect(Object.keys((await readLockJson(root)).prompts["prompts/a.md"]!.inputs)).toEqual(["prompts/a.md"]);
    await removeProject(root);
  });

  it("an output out of the project or onto pc's own files is never written", async () => {
    for (const bad of [
      `../${path.basename(outside)}/planted.py`,
      "prompts/b.md",
      ".pc/build.owner",
      "promptfile.lock",
    ]) {
      const root = await withLockEntry((entry) => {
        entry.outputs = { [bad]: HASH };
      });
      const before = await fsp.readFile(path.join(root, "prompts/b.md"));
      const build = await runPc(["build"], { cwd: root, env: { PC_BASE_URL: server.baseURL } });
      expectNoInternalError(build, bad);
      expect(existsSync(path.join(outside, "planted.py")), bad).toBe(false);
      expect(await fsp.readFile(path.join(root, "prompts/b.md")), bad).toEqual(before);
      expect((await runPc(["check"], { cwd: root })).code, bad).toBe(0);
      await removeProject(root);
    }
  });

  it("pc lock --repair reads and hashes nothing outside the project (a fifo there would hang it)", async () => {
    const root = await withLockEntry((entry) => {
      entry.outputs[`../${path.basename(outside)}/fifo`] = HASH;
      entry.outputs["/dev/zero"] = HASH;
    });
    const repair = await runPc(["lock", "--repair"], { cwd: root });
    expectNoInternalError(repair, "lock --repair");
    const status = await runPc(["status"], { cwd: root });
    expectNoInternalError(status, "status");
    await removeProject(root);
  });

  it("a lock file that is a fifo or /dev/zero is refused, not read forever", async () => {
    const root = await copyRoot(built);
    await fsp.rm(path.join(root, "promptfile.lock"));
    await fsp.symlink("/dev/zero", path.join(root, "promptfile.lock"));
    const status = await runPc(["status"], { cwd: root });
    expectNoInternalError(status, "status");
    expect(status.stderr).toContain("not a regular file");
    await removeProject(root);
  });

  it("any path at all in a lock entry: status and build never fail inside pc and never write outside", async () => {
    const hostile = fc.oneof(
      fc.constantFrom(
        "/dev/zero",
        "/etc/passwd",
        "../x.py",
        "a/../../x.py",
        "generated/\u0000x",
        "generated",
        ".pc/generations",
        "prompts/b.md",
        "prompts/_p.md",
        ".git/hooks/pre-commit",
        "pc.config.json",
        "C:\\x",
        "./generated/a.py",
        "generated//a.py",
        "",
      ),
      fc.string({ maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(hostile, fc.boolean(), async (bad, asInput) => {
        const root = await withLockEntry((entry) => {
          if (asInput) entry.inputs[bad] = HASH;
          else entry.outputs = { [bad]: HASH };
        });
        try {
          const status = await runPc(["status", "--json"], { cwd: root });
          expectNoInternalError(status, `status with ${JSON.stringify(bad)}`);
          const build = await runPc(["build"], { cwd: root, env: { PC_BASE_URL: server.baseURL } });
          expectNoInternalError(build, `build with ${JSON.stringify(bad)}`);
          expect(await listFiles(outside)).toEqual(["fifo", "secret.txt"]);
          expect(existsSync(path.join(path.dirname(root), "x.py"))).toBe(false);
        } finally {
          await removeProject(root);
        }
      }),
      { numRuns: 12 },
    );
  }, 240_000);
});

describe("the generation cache", () => {
  it("a cached generation that names other outputs (../x, a prompt) restores only the prompt's own outputs", async () => {
    const root = await copyRoot(built);
    const entries = (await listFiles(root, ".pc/generations")).filter((f) => f.endsWith(".json"));
    for (const file of entries) {
      const generation = JSON.parse(await fsp.readFile(path.join(root, file), "utf8"));
      generation.outputs = {
        ...generation.outputs,
        [`../${path.basename(outside)}/planted.py`]: "import os\n",
        "prompts/b.md": "replaced\n",
      };
      await fsp.writeFile(path.join(root, file), JSON.stringify(generation));
    }
    const promptB = await fsp.readFile(path.join(root, "prompts/b.md"));
    await fsp.rm(path.join(root, "promptfile.lock"));
    await fsp.rm(path.join(root, "generated"), { recursive: true });
    server.reset();
    const build = await runPc(["build"], { cwd: root, env: { PC_BASE_URL: server.baseURL } });
    expect(build.code, build.stderr).toBe(0);
    // Restored from the raw answers, extracted again for the outputs the prompts name.
    expect(server.chatRequests()).toHaveLength(0);
    expect(await listFiles(root, "generated")).toEqual(["generated/a.py", "generated/b.py"]);
    expect(existsSync(path.join(outside, "planted.py"))).toBe(false);
    expect(await fsp.readFile(path.join(root, "prompts/b.md"))).toEqual(promptB);
    await removeProject(root);
  });

  it("damaged bookkeeping (a fifo as a cache entry, garbage records) is skipped, never fatal", async () => {
    const root = await copyRoot(built);
    const entry = (await listFiles(root, ".pc/generations")).find((f) => f.endsWith(".json"))!;
    execFileSync("mkfifo", [path.join(root, path.dirname(entry), "fifo.json")]);
    await fsp.writeFile(
      path.join(root, ".pc/failures.json"),
      JSON.stringify({ "prompts/a.md": { inputHash: 1, message: { x: 1 } } }),
    );
    await fsp.writeFile(
      path.join(root, ".pc/file-hashes.json"),
      JSON.stringify({ "generated/a.py": { size: "big", hash: 7 } }),
    );
    await fsp.rm(path.join(root, "generated/a.py"));
    const status = await runPc(["status"], { cwd: root });
    expectNoInternalError(status, "status");
    expect(status.stdout).toMatch(/prompts\/a\.md\s+missing/);
    const build = await runPc(["build"], { cwd: root, env: { PC_BASE_URL: server.baseURL } });
    expect(build.code, build.stderr).toBe(0);
    expect((await runPc(["check"], { cwd: root })).code).toBe(0);
    await removeProject(root);
  });
});
