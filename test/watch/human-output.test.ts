// `pc watch` as a person sees it (no --json, stderr not a terminal): what it watches and each
// prompt's state at the start, then on every save what changed, what was built or failed (with the
// cause and the way out), the summary, the prompts that are not fresh and that it is waiting again;
// on Ctrl-C that it stopped.
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { spawnPc, type SpawnedPc } from "../support/pc.js";
import { makeProject, removeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
let root: string | undefined;
let pc: SpawnedPc | undefined;

afterEach(async () => {
  if (pc && pc.child.exitCode === null) pc.child.kill("SIGKILL");
  await pc?.done;
  pc = undefined;
  await removeProject(root);
  root = undefined;
});

const A = "prompts/a.md";
const B = "prompts/b.md";
const a = (body: string) => promptFile({ output: "generated/a.ts", body });
const WAITING = /waiting for changes \(Ctrl-C to stop\)\n/;

/**
 * Saves `text` as prompt a, as editors do (a temp file renamed over it: pc never sees it half
 * written), and returns what pc watch printed until it waits again.
 */
async function save(text: string): Promise<string> {
  const from = pc!.stderr().length;
  await writeFile(path.join(root!, "prompts/.a.md.swp"), text);
  await rename(path.join(root!, "prompts/.a.md.swp"), path.join(root!, A));
  await pc!.waitForStderr(WAITING, from);
  return pc!.stderr().slice(from);
}

describe("pc watch for a person (no --json)", () => {
  it("says what it watches, and on each save what changed, what it built or why it failed, and that it waits again", async () => {
    root = (
      await makeProject({ [A]: a("First."), [B]: promptFile({ output: "generated/b.ts", body: "B." }) }, "pc-watch-")
    ).root;
    pc = spawnPc(["watch", "--base-url", server.baseURL, "--retries", "0"], { cwd: root });
    await pc.waitForStderr(WAITING);
    const start = pc.stderr();
    // What is watched, the states before the first build, each build, the summary, the wait.
    expect(start).toMatch(/^watching 2 prompts \(3 files, folders prompts\)\n/);
    expect(start).toMatch(/prompts\/a\.md\s+new\s+generated\/a\.ts\s+-\s+not built yet\n/);
    expect(start).toMatch(/✓ built\s+prompts\/a\.md → generated\/a\.ts \(27 tokens, [\d.]+ tok\/s, [\d.]+ m?s\)\n/);
    expect(start).toMatch(/✓ built\s+prompts\/b\.md → generated\/b\.ts/);
    expect(start).toMatch(
      /\n2 built, 0 from cache, 0 fresh, 0 failed; \d+ prompt \+ 54 completion tokens; [\d.]+ m?s\n/,
    );
    expect(start).toMatch(/\n2 fresh · waiting for changes \(Ctrl-C to stop\)\n$/);

    const saved = await save(a("Second."));
    expect(saved).toMatch(/^↻ changed: prompts\/a\.md\n✓ built\s+prompts\/a\.md → generated\/a\.ts /);
    expect(saved).toMatch(/\n1 built, 0 from cache, 1 fresh, 0 failed; /);
    // All fresh: no table, only the wait.
    expect(saved).not.toContain("state");
    expect(saved).toMatch(/\n2 fresh · waiting for changes/);

    server.fail({ status: 500 }, { times: 1 });
    const failed = await save(a("Third."));
    const at = `model "test-model" at ${server.baseURL}: server error 500: Internal server error`;
    expect(failed).toMatch(/^↻ changed: prompts\/a\.md\n/);
    expect(failed).toContain(`✗ prompts/a.md: ${at}\n  See the server's log.\n  (PC_ENGINE_ERROR)\n`);
    expect(failed).toMatch(/\n0 built, 0 from cache, 1 fresh, 1 failed; /);
    // The prompt that is not fresh, in the states table, then the wait.
    expect(failed).toMatch(/prompts\/a\.md\s+failed\s+generated\/a\.ts\s+llm\s+last build failed: model "test-model"/);
    expect(failed).not.toMatch(/prompts\/b\.md\s+fresh/);
    expect(failed).toMatch(/\n1 failed, 1 fresh · waiting for changes/);

    const fixed = await save(a("Fourth."));
    expect(fixed).toMatch(/✓ built\s+prompts\/a\.md/);
    expect(fixed).toMatch(/\n2 fresh · waiting for changes/);

    const from = pc.stderr().length;
    pc.child.kill("SIGINT");
    const run = await pc.done;
    expect(run.code).toBe(130);
    expect(run.stderr.slice(from)).toBe(
      "interrupted: stopping the requests in flight; finished prompts are kept; watching stops (press Ctrl-C again to exit now)\nstopped watching\n",
    );
    // Everything went to stderr: stdout stays free for --json.
    expect(run.stdout).toBe("");
  });
});
