import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import type { ChatCompletionBody } from "../support/openai-server.js";
import { fencedAnswer, startTestServer } from "../support/openai-server.js";
import { useTestServer } from "../support/test-server.js";
import { cleanupProjects, makeProject, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { processAlive } from "../support/processes.js";

const server = useTestServer();
afterAll(cleanupProjects);

const VALID = (n: number) => `Here it is.\n\n${fencedAnswer(`console.log(${n});`, "javascript")}\n`;
const BROKEN = `Here it is.\n\n${fencedAnswer("console.log(;", "javascript")}\n`;
const CHECK = "node --check generated/app.js";

function pc(project: TempProject, args: string[]) {
  return project.run(args, { env: { PC_API_KEY: undefined, PC_BASE_URL: server.baseURL } });
}

const app = (pins: Record<string, unknown> = {}, body = "Write app.js.") =>
  promptFile({ output: "generated/app.js", check: CHECK, ...pins, body });

describe("checks (the built pc)", () => {
  it("records checks that pass; a generation that fails them leaves the outputs and the lock as they were", async () => {
    const project = await makeProject({ "prompts/app.md": app() });
    server.setAnswer(VALID(1));
    const first = await pc(project, ["build"]);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/✓ checks passed prompts\/app\.md/);
    expect((await project.lock()).prompts["prompts/app.md"]!.checks).toEqual({
      hash: expect.stringMatching(/^sha256:/),
      passed: true,
      durationMs: expect.any(Number),
    });
    const lockBefore = await project.read("promptfile.lock");

    await project.write({ "prompts/app.md": app({ version: 2 }) });
    server.setAnswer(BROKEN);
    const failed = await pc(project, ["build"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /✗ checks failed prompts\/app\.md: node --check generated\/app\.js: exit code 1 \(SyntaxError/,
    );
    expect(failed.stderr).toMatch(/PC_CHECK_FAILED/);
    expect(await project.read("generated/app.js")).toBe("console.log(1);\n");
    expect(await project.read("promptfile.lock")).toBe(lockBefore);
    expect(await project.read(".pc/failed/prompts__app.md.check.txt")).toMatch(
      /\$ node --check generated\/app\.js\n[\s\S]*SyntaxError[\s\S]*\[exit code 1\]/,
    );

    // The failing generation is in the cache, and status and check agree that the prompt failed.
    const log = JSON.parse((await pc(project, ["log", "prompts/app.md", "--json"])).stdout);
    expect(log.generations.map((g: { checks: { passed: boolean } }) => g.checks.passed)).toEqual([false, true]);
    const status = await pc(project, ["status", "--json"]);
    const entry = JSON.parse(status.stdout).prompts[0];
    expect(entry.state).toBe("failed");
    expect(entry.reasons[0]).toMatch(/check failed/);
    expect((await pc(project, ["check"])).code).toBe(1);

    // A plain build retries it: the cached generation is known to fail these checks, so no model call.
    server.reset();
    const again = await pc(project, ["build"]);
    expect(again.code).toBe(1);
    expect(server.chatRequests()).toHaveLength(0);
    expect(again.stderr).toMatch(/failed the same checks before/);
    expect(await project.read("generated/app.js")).toBe("console.log(1);\n");
  });

  it("a restore prefers a cached generation that passed the checks over a newer one that failed them", async () => {
    const project = await makeProject({ "prompts/app.md": app() });
    server.setAnswer(VALID(1));
    expect((await pc(project, ["build"])).code).toBe(0);
    server.setAnswer(BROKEN);
    expect((await pc(project, ["build", "--force"])).code).toBe(1);
    expect(await project.read("generated/app.js")).toBe("console.log(1);\n");

    await project.remove("generated/app.js");
    server.reset();
    const restored = await pc(project, ["build"]);
    expect(restored.code).toBe(0);
    expect(server.chatRequests()).toHaveLength(0);
    expect(await project.read("generated/app.js")).toBe("console.log(1);\n");
    expect((await pc(project, ["check"])).code).toBe(0);
  });

  it("--keep-failed writes a failing generation and records it as failed", async () => {
    const project = await makeProject({ "prompts/app.md": app() });
    server.setAnswer(BROKEN);
    const run = await pc(project, ["build", "--keep-failed"]);
    expect(run.code).toBe(1);
    expect(await project.read("generated/app.js")).toBe("console.log(;\n");
    const entry = (await project.lock()).prompts["prompts/app.md"]!;
    expect(entry.checks).toMatchObject({
      passed: false,
      failure: expect.stringMatching(/^node --check generated\/app\.js: exit code 1/),
    });
    const status = JSON.parse((await pc(project, ["status", "--json"])).stdout).prompts[0];
    expect(status).toMatchObject({ state: "failed", checks: { passed: false } });
    expect((await pc(project, ["status"])).stdout).toMatch(
      /prompts\/app\.md +failed +generated\/app\.js +llm, checks failed/,
    );
    expect((await pc(project, ["check"])).code).toBe(1);
  });

  it("kills a check that runs past check_timeout, with what it started", async () => {
    const project = await makeProject({
      "prompts/app.md": app({ check: "sleep 30 & echo $! > sleeper.pid; wait", check_timeout: 0.5 }),
    });
    server.setAnswer(VALID(1));
    const run = await pc(project, ["build"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/check failed: sleep 30 & echo \$! > sleeper\.pid; wait: timed out after 0\.5 s/);
    expect(existsSync(project.path("generated/app.js"))).toBe(false);
    const pid = Number(await project.read("sleeper.pid"));
    await expect.poll(() => processAlive(pid), { timeout: 5000 }).toBe(false);
  });

  it("a changed check makes the prompt stale; the build restores the generation and runs only the check again", async () => {
    const project = await makeProject({ "prompts/app.md": app(), "marker.txt": "1" });
    server.setAnswer(VALID(1));
    expect((await pc(project, ["build"])).code).toBe(0);

    await project.write({ "prompts/app.md": app({ check: [CHECK, "test -f marker.txt"] }) });
    const status = JSON.parse((await pc(project, ["status", "--json"])).stdout).prompts[0];
    expect(status.state).toBe("stale");
    server.reset();
    const rebuilt = await pc(project, ["build"]);
    expect(rebuilt.code).toBe(0);
    expect(server.chatRequests()).toHaveLength(0);
    expect(rebuilt.stderr).toMatch(/✓ checks passed prompts\/app\.md/);
    expect(rebuilt.stderr).toMatch(/✓ cached prompts\/app\.md/);

    // pc check --run runs the checks again on the files on disk: a check that no longer passes fails CI.
    expect((await pc(project, ["check", "--run"])).code).toBe(0);
    await project.remove("marker.txt");
    expect((await pc(project, ["check"])).code).toBe(0);
    const ci = await pc(project, ["check", "--run"]);
    expect(ci.code).toBe(1);
    expect(ci.stdout).toMatch(/prompts\/app\.md: check failed: test -f marker\.txt: exit code 1/);
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("a check that reads another prompt's output (check_inputs) runs after that prompt is built", async () => {
    const project = await makeProject({
      "prompts/app.md": app({
        check: "node -e \"require('./generated/lib.cjs')\"",
        check_inputs: ["generated/lib.cjs"],
      }),
      "prompts/lib.md": promptFile({ output: "generated/lib.cjs", body: "Write lib." }),
    });
    server.setAnswer((body: ChatCompletionBody) =>
      JSON.stringify(body.messages).includes("generated/lib.cjs\\n") ||
      JSON.stringify(body.messages).includes("Write lib")
        ? `${fencedAnswer("module.exports = 1;", "javascript")}\n`
        : VALID(2),
    );
    const run = await pc(project, ["build"]);
    expect(run.stderr).toMatch(/✓ checks passed prompts\/app\.md/);
    expect(run.code).toBe(0);
    const entry = (await project.lock()).prompts["prompts/app.md"]!;
    expect(Object.keys(entry.inputs)).toContain("generated/lib.cjs");
    expect(server.chatRequests().map((r) => JSON.stringify(r.body.messages).includes("Write lib"))).toEqual([
      true,
      false,
    ]);
  });
});

describe("pc seed (the built pc)", () => {
  /** Seeds divisible by 3 give working code. */
  const bySeed = (body: ChatCompletionBody) => (body.seed! % 3 === 0 ? VALID(body.seed!) : BROKEN);

  it("tries seeds, reports each, and leaves the outputs as they were", async () => {
    const project = await makeProject({ "prompts/app.md": app({ seed: 1 }), "generated/app.js": "// kept\n" });
    server.setAnswer(bySeed);
    const run = await pc(project, ["seed", "prompts/app.md", "--try", "5"]);
    expect(run.code).toBe(0);
    const rows = run.stdout.split("\n").filter((l) => /^\d+ +(pass|fail|error) /.test(l));
    expect(rows.map((r) => r.split(/\s+/).slice(0, 2))).toEqual([
      ["1", "fail"],
      ["2", "fail"],
      ["3", "pass"],
      ["4", "fail"],
      ["5", "fail"],
    ]);
    expect(rows[0]).toMatch(/SyntaxError/);
    expect(run.stdout).toMatch(/1 of 5 seeds passed/);
    expect(server.chatRequests().map((r) => r.body.seed)).toEqual([1, 2, 3, 4, 5]);
    expect(await project.read("generated/app.js")).toBe("// kept\n");
    expect(existsSync(project.path("promptfile.lock"))).toBe(false);

    // Every seed tried is cached: comparing one with the files costs no model call.
    server.reset();
    const diff = await pc(project, ["diff", "prompts/app.md", "--seed", "3"]);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toMatch(/^\+console\.log\(3\);$/m);
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("--pin writes the first passing seed (only that line) and builds it from the cache with no model call", async () => {
    const text = app({ seed: 1 }).replace("seed: 1", "seed: 1   # pinned by pc seed");
    const project = await makeProject({ "prompts/app.md": text });
    server.setAnswer(bySeed);
    expect((await pc(project, ["seed", "prompts/app.md", "--try", "4"])).code).toBe(0);
    server.reset();
    const pinned = await pc(project, ["seed", "prompts/app.md", "--pin"]);
    expect(pinned.code).toBe(0);
    expect(server.chatRequests()).toHaveLength(0);
    expect(pinned.stdout).toMatch(/pinned seed 3 in prompts\/app\.md \(cached, from the cache\)/);
    expect(await project.read("prompts/app.md")).toBe(text.replace("seed: 1 ", "seed: 3 "));
    expect(await project.read("generated/app.js")).toBe("console.log(3);\n");
    const entry = (await project.lock()).prompts["prompts/app.md"]!;
    expect(entry).toMatchObject({ seed: 3, checks: { passed: true } });
    expect((await pc(project, ["check"])).code).toBe(0);
  });

  it("exits 1 when no seed passes, and refuses a prompt without checks", async () => {
    const project = await makeProject({
      "prompts/app.md": app({ seed: 1 }),
      "prompts/plain.md": promptFile({ output: "generated/plain.js" }),
    });
    server.setAnswer(bySeed);
    const none = await pc(project, ["seed", "prompts/app.md", "--try", "2"]);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/0 of 2 seeds passed: no seed passed the checks of prompts\/app\.md/);
    const plain = await pc(project, ["seed", "prompts/plain.md"]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/has no check to try seeds against[\s\S]*check: /);
  });

  it("-j 3 sends seeds concurrently to a server", async () => {
    const slow = await startTestServer({ answer: bySeed, latencyMs: 300 });
    const project = await makeProject({ "prompts/app.md": app({ seed: 1 }) });
    const run = await project.run(["seed", "prompts/app.md", "--try", "6", "-j", "3"], {
      env: { PC_BASE_URL: slow.baseURL },
    });
    await slow.close();
    expect(run.code).toBe(0);
    expect(slow.maxActive()).toBe(3);
    expect(
      run.stdout
        .split("\n")
        .filter((l) => /^\d+ +pass/.test(l))
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(["3", "6"]);
  });
});
