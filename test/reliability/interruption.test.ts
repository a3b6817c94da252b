// Interrupting `pc build` (Ctrl-C, SIGTERM, twice) and running two of them on one project: no partial
// or temp file is ever left, the prompts that finished stay in a valid lock, and a later build
// picks up where the interrupted one stopped.
import { spawn } from "node:child_process";
import { promises as fsp } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { defaultAnswer } from "../support/openai-server.js";
import { spawnPc, runPc } from "../support/pc.js";
import {
  removeProject,
  readText,
  exists,
  readLockJson,
  listFiles,
  tempFiles,
  makeProject,
} from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

/** Resolvers waiting for the n-th chat request (0-based) to arrive. */
let arrivals = new Map<number, () => void>();
const created: string[] = [];
const server = useTestServer({
  answer: (body, index) => {
    arrivals.get(index)?.();
    arrivals.delete(index);
    return defaultAnswer(body);
  },
});

/** Resolves when the server has received its `index`-th chat request (0-based, since the last reset). */
function requestArrives(index: number): Promise<void> {
  if (server.chatRequests().length > index) return Promise.resolve();
  return new Promise((resolve) => arrivals.set(index, resolve));
}

beforeEach(() => {
  arrivals = new Map();
});
afterAll(async () => {
  await Promise.all(created.map(removeProject));
});

const PROMPTS = ["p1", "p2", "p3", "p4"];

/** Holds the request of one prompt open (headers and a few chunks, then nothing) until pc aborts it. */
function stallPrompt(p: string): void {
  server.fail(
    { kind: "stall", afterChunks: 3 },
    { when: (body) => JSON.stringify(body.messages).includes(`generated/${p}.py`) },
  );
}

async function project(): Promise<string> {
  const files: Record<string, string> = {};
  for (const p of PROMPTS) files[`prompts/${p}.md`] = promptFile({ output: `generated/${p}.py`, body: `Write ${p}.` });
  const root = (await makeProject(files)).root;
  created.push(root);
  return root;
}

/** What an interrupted build must leave: outputs only of finished prompts, no temp file, a valid lock listing exactly them. */
async function expectCleanAfterInterrupt(root: string, finished: string[]): Promise<void> {
  expect(await tempFiles(root)).toEqual([]);
  expect(await listFiles(root, "generated")).toEqual(finished.map((p) => `generated/${p}.py`));
  const lock = await readLockJson(root);
  expect(Object.keys(lock.prompts).sort()).toEqual(finished.map((p) => `prompts/${p}.md`));
}

/** Resolves once promptfile.lock records p1 (the build writes it as soon as p1 is done). */
async function p1Recorded(root: string): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 20) {
    const text = await fsp.readFile(path.join(root, "promptfile.lock"), "utf8").catch(() => "");
    if (text.includes('"prompts/p1.md"')) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error("p1 was never recorded in the lock");
}

describe("interrupting a build", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s mid-build aborts the request in flight and keeps the finished prompts",
    async (signal) => {
      const root = await project();
      stallPrompt("p2");
      const pc = spawnPc(["build", "--base-url", server.baseURL], { cwd: root });
      await requestArrives(1); // p1 is built and recorded, p2 is streaming
      pc.child.kill(signal);
      const run = await pc.done;

      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toContain(signal === "SIGINT" ? "interrupted:" : "terminated:");
      expect(run.stderr).toMatch(/skipped prompts\/p2\.md: interrupted/);
      expect(server.chatRequests()).toHaveLength(2); // nothing was started after the signal
      await expectCleanAfterInterrupt(root, ["p1"]);

      // The next build resumes: p1 is fresh, the other three are built.
      server.reset();
      const resumed = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(
        server.chatRequests().map((r) => JSON.stringify(r.body.messages).match(/generated\/(p\d)\.py/)?.[1]),
      ).toEqual(["p2", "p3", "p4"]);
      expect((await runPc(["check"], { cwd: root })).code).toBe(0);
    },
  );

  it("a second Ctrl-C right after the first exits with 130 and still leaves no partial file", async () => {
    const root = await project();
    stallPrompt("p2");
    const pc = spawnPc(["build", "--base-url", server.baseURL], { cwd: root });
    await requestArrives(1);
    // p2's request goes out while p1 is still being written: wait until p1 is recorded.
    await p1Recorded(root);
    pc.child.kill("SIGINT");
    await pc.waitForStderr(/interrupted:/);
    pc.child.kill("SIGINT");
    const run = await pc.done;
    expect(run.code, run.stderr).toBe(130);
    await expectCleanAfterInterrupt(root, ["p1"]);
  });

  it("when the first signal cannot finish a write, the second exits at once and removes its temp file", async () => {
    const root = await project();
    await fsp.mkdir(path.join(root, "generated"), { recursive: true });
    await fsp.writeFile(path.join(root, "generated/p1.py"), "old bytes\n");
    const script = path.join(import.meta.dirname, "fixtures/stuck-write.mjs");
    const child = spawn(process.execPath, [script, path.join(root, "generated/p1.py")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve) => {
        const check = () => pattern.test(stderr) && resolve();
        child.stderr!.on("data", (d: Buffer) => {
          stderr += d.toString();
          check();
        });
        check();
      });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));

    await seen(/writing/);
    expect(await tempFiles(root)).toHaveLength(1); // the write is under way
    child.kill("SIGINT");
    await seen(/interrupted:/);
    expect(await tempFiles(root)).toHaveLength(1); // the first signal waits for the work in flight
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(await tempFiles(root)).toEqual([]);
    expect(await readText(root, "generated/p1.py")).toBe("old bytes\n");
  });

  it("a second Ctrl-C while outputs are being recorded exits right after the lock is written, never between", async () => {
    const root = await project();
    const script = path.join(import.meta.dirname, "fixtures/interrupt-during-commit.mjs");
    const child = spawn(process.execPath, [script, root, server.baseURL], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    const waiters: Array<[RegExp, () => void]> = [];
    child.stderr!.on("data", (d: Buffer) => {
      stderr += d.toString();
      for (const [pattern, resolve] of waiters) if (pattern.test(stderr)) resolve();
    });
    const seen = (pattern: RegExp) =>
      new Promise<void>((resolve) => (pattern.test(stderr) ? resolve() : waiters.push([pattern, resolve])));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));

    await seen(/committing/);
    child.kill("SIGINT");
    await seen(/interrupted:/);
    child.kill("SIGINT");
    expect(await exited).toBe(130);
    expect(stderr).toContain("exiting once the outputs being written are recorded in the lock");
    expect(stderr).not.toContain("build returned");
    // p1 was being committed (and p2, whose request went out meanwhile, may have been): every
    // output written is recorded in the lock, and nothing else was written.
    const recorded = Object.keys((await readLockJson(root)).prompts).map((p) => p.replace(/^prompts\/(.*)\.md$/, "$1"));
    expect(recorded).toContain("p1");
    await expectCleanAfterInterrupt(root, recorded.sort());
    const status = await runPc(["status"], { cwd: root });
    for (const p of recorded) expect(status.stdout).toMatch(new RegExp(`prompts/${p}\\.md\\s+fresh`));
  });
});

describe("two builds on one project", () => {
  it("the second refuses with a clear message while the first holds the project", async () => {
    const root = await project();
    stallPrompt("p2");
    const first = spawnPc(["build", "--base-url", server.baseURL], { cwd: root });
    await requestArrives(1);
    const second = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).toMatch(
      new RegExp(`another pc process \\(pid ${first.child.pid}\\) is building this project`),
    );
    expect(second.stderr).toContain("PC_PROJECT_BUSY");
    expect(server.chatRequests()).toHaveLength(2); // the refused build made no request
    // Readers are not blocked: status works while the build runs.
    expect((await runPc(["status"], { cwd: root })).code).toBe(0);
    first.child.kill("SIGINT");
    expect((await first.done).code).toBe(130);
    // Once the first is gone, the project is free again.
    server.reset();
    const third = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(third.code, third.stderr).toBe(0);
    expect(Object.keys((await readLockJson(root)).prompts)).toHaveLength(4);
  });

  it("a lock left by a killed process is taken over at once", async () => {
    const root = await project();
    stallPrompt("p2");
    const first = spawnPc(["build", "--base-url", server.baseURL], { cwd: root });
    await requestArrives(1);
    first.child.kill("SIGKILL");
    await first.done;
    expect(await exists(root, ".pc/build.lock")).toBe(true);

    server.reset();
    const second = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(second.code, second.stderr).toBe(0);
    expect(await tempFiles(root)).toEqual([]);
    expect((await runPc(["check"], { cwd: root })).code).toBe(0);
    expect(await exists(root, ".pc/build.lock")).toBe(false);
  });

  it("taking over the lock of a dead process removes the temp files of the writes it was killed in", async () => {
    const root = await project();
    // A process that has exited: its pid is known to be dead.
    const dead = spawn(process.execPath, ["-e", "0"]);
    await new Promise((resolve) => dead.on("exit", resolve));
    await fsp.mkdir(path.join(root, ".pc/build.lock"), { recursive: true });
    await fsp.writeFile(path.join(root, ".pc/build.owner"), JSON.stringify({ pid: dead.pid, host: hostname() }));
    const left = [
      "generated/.p1.py.pc-0123456789ab.tmp",
      ".promptfile.lock.pc-abcdef012345.tmp",
      ".pc/.file-hashes.json.pc-a1b2c3d4e5f6.tmp",
    ];
    const unrelated = ["generated/.notes.tmp", "src/.cache.pc-xyz.tmp"];
    for (const file of [...left, ...unrelated]) {
      await fsp.mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await fsp.writeFile(path.join(root, file), "half-written");
    }

    const run = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(run.code, run.stderr).toBe(0);
    for (const file of left) expect(await exists(root, file), file).toBe(false);
    for (const file of unrelated) expect(await exists(root, file), file).toBe(true);
  });

  it("a lock of unknown owner is honoured while fresh and taken over once stale", async () => {
    const root = await project();
    await fsp.mkdir(path.join(root, ".pc/build.lock"), { recursive: true });
    const refused = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("another pc process is building this project");
    expect(refused.stderr).toContain("taken over after 10 seconds");

    const old = new Date(Date.now() - 60_000);
    await fsp.utimes(path.join(root, ".pc/build.lock"), old, old);
    const run = await runPc(["build", "--base-url", server.baseURL], { cwd: root });
    expect(run.code, run.stderr).toBe(0);
  });
});
