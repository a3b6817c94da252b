// While pc waits to retry a request (as a server's Retry-After asks, in seconds or as an HTTP date,
// up to the longest wait), Ctrl-C ends the wait at once: exit 130, nothing written, the lock as it
// was and the project free for the next command.
import { stat } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnPc } from "../support/pc.js";
import { makeProject, tempFiles, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
const A = "prompts/a.md";
let built: TempProject;

beforeAll(async () => {
  built = await makeProject({ [A]: promptFile({ output: "generated/a.py", body: "Write a." }) });
  const first = await built.run(["build", "--base-url", server.baseURL]);
  expect(first.code, first.stderr).toBe(0);
});
afterAll(() => built.cleanup());

/** A copy of the built project whose prompt was edited since (so a build asks the server). */
async function staleProject(): Promise<TempProject> {
  const project = await built.copy();
  await project.write({ [A]: promptFile({ output: "generated/a.py", body: "Write a, edited." }) });
  return project;
}

/** What a user sees of the project: its files' bytes and the lock's modification time. */
async function seen(project: TempProject) {
  return { files: await project.snapshot(), lockTime: (await stat(project.path("promptfile.lock"))).mtimeMs };
}

/** Starts `pc build` and resolves once it says it waits `seconds` before the retry. */
async function buildWaiting(project: TempProject, seconds: string) {
  const pc = spawnPc(["build", "--base-url", server.baseURL, "--retries", "3"], { cwd: project.root });
  await pc.waitForStderr(/retrying prompts\/a\.md in [\d.]+ s/);
  expect(pc.stderr()).toContain(
    `retrying prompts/a.md in ${seconds} s (attempt 1): model "test-model" at ${server.baseURL}: the server is not ready (503)`,
  );
  return pc;
}

describe("Ctrl-C while pc waits to retry", () => {
  it("ends the wait at once: exit 130, no retry, nothing written, the lock as it was", async () => {
    const project = await staleProject();
    const before = await seen(project);
    // An hour asked for: pc waits its longest wait, 30 s, longer than this test may take.
    server.fail({ status: 503, retryAfter: 3600 }, { times: Infinity });
    const pc = await buildWaiting(project, "30.0");
    pc.child.kill("SIGINT");
    const run = await pc.done;
    expect(run.code, run.stderr).toBe(130);
    expect(run.stderr).toContain("interrupted: stopping the requests in flight");
    expect(server.chatRequests()).toHaveLength(1);
    expect(await seen(project)).toEqual(before);
    expect(await tempFiles(project.root)).toEqual([]);
    // The project is free, and the prompt is as stale as before: no failure was recorded.
    expect(project.exists(".pc/build.lock")).toBe(false);
    const status = await project.run(["status"]);
    expect(status.stdout).toMatch(/prompts\/a\.md\s+stale\s+generated\/a\.py\s+llm\s+prompts\/a\.md changed\n/);
    await project.cleanup();
  });
});

describe("Retry-After as an HTTP date", () => {
  it("is waited for until that time, up to the longest wait", async () => {
    const project = await staleProject();
    const inAnHour = new Date(Date.now() + 3600_000).toUTCString();
    server.fail({ status: 503, retryAfter: inAnHour }, { times: Infinity });
    // Read as a date an hour away, not as the backoff pc uses when Retry-After is absent or unreadable.
    const pc = await buildWaiting(project, "30.0");
    pc.child.kill("SIGINT");
    expect((await pc.done).code).toBe(130);
    await project.cleanup();
  });

  it("in the past is a retry at once, and the build then succeeds", async () => {
    const project = await staleProject();
    server.fail({ status: 503, retryAfter: "Wed, 21 Oct 2015 07:28:00 GMT" }, { times: 1 });
    const run = await project.run(["build", "--base-url", server.baseURL, "--retries", "1"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain("retrying prompts/a.md in 0.0 s (attempt 1)");
    expect(server.chatRequests()).toHaveLength(2);
    expect(await project.read("generated/a.py")).not.toBe(await built.read("generated/a.py"));
    await project.cleanup();
  });
});
