// Kills and races: after a kill -9, of several builds started at the same moment exactly one takes
// the project and each prompt is generated once; temp files of a dead build are removed whenever a
// build takes the project; an output a stopped build wrote but never recorded is known as pc's own
// write (from any generation it kept), not as a hand edit, even after the prompt changed again.
import { spawn } from "node:child_process";
import { hostname } from "node:os";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useTestServer } from "../support/test-server.js";
import { exists, makeProject, readLockJson, removeProject, tempFiles, writeFiles } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { runPc, spawnPc } from "../support/pc.js";

/** Temp projects held by their root path. */
const makeRoot = async (...args: Parameters<typeof makeProject>) => (await makeProject(...args)).root;

// Slow answers, so that the builds started together overlap for the whole run.
const server = useTestServer({ latencyMs: 400 });
const created: string[] = [];
afterAll(() => Promise.all(created.map(removeProject)));

const PROMPTS = ["p1", "p2", "p3"];

async function project(): Promise<string> {
  const root = await makeRoot(
    Object.fromEntries(
      PROMPTS.map((p) => [`prompts/${p}.md`, promptFile({ output: `generated/${p}.py`, body: `Write ${p}.` })]),
    ),
  );
  created.push(root);
  return root;
}

/** The pid of a process that has exited: known to be dead. */
async function deadPid(): Promise<number> {
  const dead = spawn(process.execPath, ["-e", "0"]);
  await new Promise((resolve) => dead.on("exit", resolve));
  return dead.pid!;
}

/** Starts `n` builds at once and waits for all. */
async function buildsAtOnce(root: string, n: number) {
  const builds = Array.from({ length: n }, () => spawnPc(["build", "--base-url", server.baseURL], { cwd: root }));
  return Promise.all(builds.map((b) => b.done));
}

describe("several builds started at once on a project whose lock holder is gone", () => {
  const leftBy = {
    "a process killed with kill -9": async (root: string) => {
      await fsp.mkdir(path.join(root, ".pc/build.lock"), { recursive: true });
      await fsp.writeFile(
        path.join(root, ".pc/build.owner"),
        JSON.stringify({ pid: await deadPid(), host: hostname() }),
      );
    },
    "an unknown process, long ago (stale)": async (root: string) => {
      await fsp.mkdir(path.join(root, ".pc/build.lock"), { recursive: true });
      const old = new Date(Date.now() - 60_000);
      await fsp.utimes(path.join(root, ".pc/build.lock"), old, old);
    },
  };
  for (const [how, leave] of Object.entries(leftBy)) {
    it(`left by ${how}: exactly one builds, every prompt is generated once, the others say the project is busy`, async () => {
      for (let round = 0; round < 3; round++) {
        const root = await project();
        await leave(root);
        server.reset();
        const runs = await buildsAtOnce(root, 3);
        const said = runs.map((r) => r.stderr).join("\n---\n");
        // On a loaded machine a build may start only after the winner finished: it then has nothing to do.
        const builders = runs.filter((r) => /\b3 built\b/.test(r.stderr));
        expect(builders, said).toHaveLength(1);
        expect(builders[0]!.code).toBe(0);
        for (const other of runs.filter((r) => r !== builders[0])) {
          expect(other.stderr, said).not.toMatch(/drifted|edited by hand|internal error/);
          if (other.code === 0) expect(other.stderr, said).toMatch(/\b0 built, 0 from cache, 3 fresh/);
          else expect(other.stderr, said).toContain("PC_PROJECT_BUSY");
        }
        const asked = server
          .chatRequests()
          .map((r) => JSON.stringify(r.body.messages).match(/generated\/p\d\.py/)?.[0]);
        expect(asked.sort()).toEqual(PROMPTS.map((p) => `generated/${p}.py`));
        expect((await runPc(["check"], { cwd: root })).code).toBe(0);
        expect(await exists(root, ".pc/build.lock")).toBe(false);
        expect(await exists(root, ".pc/build.takeover")).toBe(false);
      }
    }, 120_000);
  }
});

describe("temp files of a dead build", () => {
  it("are removed by the next build that takes the project, even with no lock left behind", async () => {
    const root = await project();
    const left = [
      "generated/.p1.py.pc-0123456789ab.tmp",
      ".promptfile.lock.pc-abcdef012345.tmp",
      ".pc/.failures.json.pc-a1b2c3d4e5f6.tmp",
    ];
    await writeFiles(root, Object.fromEntries([...left, "generated/.notes.tmp"].map((f) => [f, "half-written"])));
    const run = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(run.code, run.stderr).toBe(0);
    expect(await tempFiles(root)).toEqual([]);
    expect(await exists(root, "generated/.notes.tmp")).toBe(true);
  });
});

describe("an output written by a stopped build and never recorded", () => {
  it("is pc's own write even after the prompt changed again: stale, rebuilt without --force", async () => {
    const root = await project();
    const version = (n: number) => promptFile({ output: "generated/p1.py", body: `Write p1, version ${n}.` });
    expect((await runPc(["build", "--base-url", server.baseURL], { cwd: root })).code).toBe(0);
    const recorded = await fsp.readFile(path.join(root, "promptfile.lock"));
    // Version 2 is generated and written, but the lock is put back as it was: a build stopped right
    // after writing the output, before recording it.
    await writeFiles(root, { "prompts/p1.md": version(2) });
    expect((await runPc(["build", "--base-url", server.baseURL], { cwd: root })).code).toBe(0);
    await fsp.writeFile(path.join(root, "promptfile.lock"), recorded);
    await fsp.rm(path.join(root, ".pc/lock-written"), { force: true });
    // Then the prompt is edited again.
    await writeFiles(root, { "prompts/p1.md": version(3) });
    const status = await runPc(["status"], { cwd: root });
    expect(status.stdout).toMatch(/prompts\/p1\.md\s+stale/);
    expect(status.stdout).toContain("stopped before recording it");
    expect(status.stdout).not.toMatch(/edited by hand/);
    const build = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(build.code, build.stderr).toBe(0);
    expect((await runPc(["check"], { cwd: root })).code).toBe(0);
    expect((await readLockJson(root)).prompts["prompts/p1.md"]!.inputs["prompts/p1.md"]).toBeDefined();
  });

  it("a real hand edit is still protected", async () => {
    const root = await project();
    expect((await runPc(["build", "--base-url", server.baseURL], { cwd: root })).code).toBe(0);
    await fsp.appendFile(path.join(root, "generated/p1.py"), "# mine\n");
    await writeFiles(root, { "prompts/p1.md": promptFile({ output: "generated/p1.py", body: "Write p1, changed." }) });
    const build = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(build.code).toBe(1);
    expect(build.stderr).toMatch(/edited by hand/);
    expect(await fsp.readFile(path.join(root, "generated/p1.py"), "utf8")).toContain("# mine");
  });
});
