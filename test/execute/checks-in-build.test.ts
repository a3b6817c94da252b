// A prompt's checks as a build runs them in this process: what is recorded when they pass, what is
// put back when they fail, what a known verdict spares, and what --keep-failed keeps.
import { afterAll, describe, expect, it } from "vitest";
import { status } from "../../src/commands/status.js";
import { fencedAnswer } from "../support/openai-server.js";
import { cleanupProjects, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn, outcomes } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);

const VALID = (n: number) => fencedAnswer(`console.log(${n});`, "javascript");
const BROKEN = fencedAnswer("console.log(;", "javascript");
/** Counts its runs in runs.txt, then checks the output's syntax. */
const CHECK = "echo run >> runs.txt; node --check generated/app.js";
const app = (pins: Record<string, unknown> = {}) =>
  promptFile({ output: "generated/app.js", check: CHECK, format: false, ...pins });

describe("a prompt's checks in a build", () => {
  it("that pass are recorded with the outputs, and reported as run", async () => {
    const project = await makeProject({ "prompts/app.md": app() });
    server.setAnswer(VALID(1));
    const { report, events } = await buildIn(project, server);
    expect(report.prompts[0]).toMatchObject({
      outcome: "built",
      checks: { passed: true, durationMs: expect.any(Number) },
    });
    expect((await project.lock()).prompts["prompts/app.md"]!.checks).toEqual({
      hash: expect.stringMatching(/^sha256:/),
      passed: true,
      durationMs: expect.any(Number),
    });
    expect(events.filter((e) => e.type === "check")).toEqual([
      {
        type: "check",
        prompt: "prompts/app.md",
        passed: true,
        durationMs: expect.any(Number),
        failure: undefined,
        known: false,
      },
    ]);
    expect(await project.read("runs.txt")).toBe("run\n");
  });

  it("that fail put the previous outputs back, say what failed and where its output is; the next build does not run them again", async () => {
    const project = await makeProject({ "prompts/app.md": app() });
    server.setAnswer(VALID(1));
    await buildIn(project, server);
    const lock = await project.read("promptfile.lock");
    await project.write({ "prompts/app.md": app({ version: 2 }) });
    server.setAnswer(BROKEN);

    const { report } = await buildIn(project, server);
    const error = report.prompts[0]!.error!;
    expect(report.prompts[0]!.outcome).toBe("failed");
    expect(error.code).toBe("PC_CHECK_FAILED");
    expect(error.message).toMatch(
      /^check failed: echo run >> runs\.txt; node --check generated\/app\.js: exit code 1 \(SyntaxError/,
    );
    expect(error.hint).toBe(
      [
        "The check's output is in .pc/failed/prompts__app.md.check.txt.",
        "The previous outputs and lock entry are unchanged; the new generation is in the cache (pc log, pc diff --cached).",
        "Fix the prompt or the check, or find a seed that passes: pc seed prompts/app.md --pin",
      ].join("\n"),
    );
    expect(await project.read("generated/app.js")).toBe("console.log(1);\n");
    expect(await project.read("promptfile.lock")).toBe(lock);
    expect(await project.read(".pc/failed/prompts__app.md.check.txt")).toMatch(
      /^\$ echo run >> runs\.txt; node --check generated\/app\.js\n[\s\S]*SyntaxError[\s\S]*\n\[exit code 1\]\n$/,
    );
    expect((await status({ cwd: project.root })).prompts[0]).toMatchObject({
      state: "failed",
      reasons: [
        expect.stringMatching(/^last build failed: check failed: /),
        "version changed: 1 -> 2",
        "prompts/app.md changed",
      ],
    });

    server.reset();
    const again = await buildIn(project, server);
    expect(server.chatRequests()).toHaveLength(0);
    expect(again.report.prompts[0]!.error!.message).toMatch(
      /\(this generation failed the same checks before; they were not run again\)$/,
    );
    expect(again.report.prompts[0]!.error!.hint).not.toMatch(/check's output is in/);
    expect(again.events.filter((e) => e.type === "check")).toEqual([
      expect.objectContaining({ passed: false, known: true, failure: expect.stringMatching(/exit code 1/) }),
    ]);
    expect(await project.read("runs.txt")).toBe("run\nrun\n");
    expect(await project.read("generated/app.js")).toBe("console.log(1);\n");
  });

  it("a verdict holds for the bytes checked: a generation formatted anew (the formatter's settings changed) is checked again", async () => {
    // The check wants single quotes; prettier's default gives double ones.
    const project = await makeProject({
      "prompts/app.md": app({ format: undefined, check: `echo run >> runs.txt; grep -q "'" generated/app.js` }),
    });
    server.setAnswer(fencedAnswer('console.log("hi");', "javascript"));
    const first = await buildIn(project, server);
    expect(first.report.prompts[0]!.error!.code).toBe("PC_CHECK_FAILED");
    await project.write({ ".prettierrc": '{ "singleQuote": true }\n' });
    server.reset();

    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/app.md": "cached" });
    expect(server.chatRequests()).toHaveLength(0);
    expect(await project.read("generated/app.js")).toBe("console.log('hi');\n");
    expect(await project.read("runs.txt")).toBe("run\nrun\n");
  });

  it("--keep-failed writes and records a failing generation, marked failed until one passes", async () => {
    const project = await makeProject({ "prompts/app.md": app() });
    server.setAnswer(BROKEN);
    const { report } = await buildIn(project, server, { keepFailed: true });
    expect(report.prompts[0]).toMatchObject({
      outcome: "failed",
      source: "llm",
      model: "test-model",
      error: { code: "PC_CHECK_FAILED" },
      checks: { passed: false, durationMs: expect.any(Number), failure: expect.stringMatching(/exit code 1/) },
    });
    expect(report.prompts[0]!.error!.message).toMatch(
      /^check failed: echo run >> runs\.txt; node --check generated\/app\.js: exit code 1 \(SyntaxError[^\n]*\)$/,
    );
    expect(report.prompts[0]!.error!.hint).toBe(
      [
        "The check's output is in .pc/failed/prompts__app.md.check.txt.",
        "Its outputs are written and recorded as asked (--keep-failed); the prompt stays failed until a generation passes.",
        "Fix the prompt or the check, or find a seed that passes: pc seed prompts/app.md --pin",
      ].join("\n"),
    );
    expect(await project.read("generated/app.js")).toBe("console.log(;\n");
    expect((await project.lock()).prompts["prompts/app.md"]!.checks).toMatchObject({ passed: false });
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("failed");

    server.setAnswer(VALID(2));
    await project.write({ "prompts/app.md": app({ version: 2 }) });
    expect(outcomes((await buildIn(project, server)).report)).toEqual({ "prompts/app.md": "built" });
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
  });

  it("--keep-failed after a failed build keeps the cached generation known to fail, with no model call", async () => {
    const project = await makeProject({ "prompts/app.md": app() });
    server.setAnswer(BROKEN);
    expect(outcomes((await buildIn(project, server)).report)).toEqual({ "prompts/app.md": "failed" });
    expect(project.exists("generated/app.js")).toBe(false);
    server.reset();

    const { report } = await buildIn(project, server, { keepFailed: true });
    expect(server.chatRequests()).toHaveLength(0);
    expect(report.prompts[0]).toMatchObject({ outcome: "failed", source: "cache", error: { code: "PC_CHECK_FAILED" } });
    expect(report.prompts[0]!.error!.message).toMatch(
      /: exit code 1 \(SyntaxError.*\) \(this generation failed the same checks before; they were not run again\)$/,
    );
    expect(report.prompts[0]!.error!.hint).toMatch(/^Its outputs are written and recorded as asked \(--keep-failed\)/);
    expect(await project.read("generated/app.js")).toBe("console.log(;\n");
    expect((await project.lock()).prompts["prompts/app.md"]).toMatchObject({
      source: "cache",
      checks: { passed: false },
    });
    expect(await project.read("runs.txt")).toBe("run\n");
  });

  it("that run out of time fail, and the verdict is not kept: the next build runs them again", async () => {
    const project = await makeProject({
      "prompts/app.md": app({ check: "echo run >> runs.txt; sleep 5", check_timeout: 0.2 }),
    });
    server.setAnswer(VALID(1));
    const first = await buildIn(project, server);
    expect(first.report.prompts[0]!.error!.message).toMatch(/: timed out after 0\.2 s$/);
    expect(project.exists("generated/app.js")).toBe(false);
    server.reset();
    const second = await buildIn(project, server);
    expect(server.chatRequests()).toHaveLength(0);
    expect(second.report.prompts[0]!.error!.message).not.toMatch(/failed the same checks before/);
    expect(await project.read("runs.txt")).toBe("run\nrun\n");
  });

  it("interrupted while they run: the outputs are put back and the prompt is skipped", async () => {
    const project = await makeProject({
      "prompts/app.md": app({ check: "touch started; sleep 5" }),
    });
    server.setAnswer(VALID(1));
    const controller = new AbortController();
    const watching = (async () => {
      while (!project.exists("started")) await new Promise((resolve) => setTimeout(resolve, 20));
      controller.abort();
    })();
    const { report } = await buildIn(project, server, { signal: controller.signal });
    await watching;
    expect(report.prompts[0]).toMatchObject({ outcome: "skipped", reasons: ["interrupted"] });
    expect(project.exists("generated/app.js")).toBe(false);
    expect(project.exists("promptfile.lock")).toBe(false);
  });
});
