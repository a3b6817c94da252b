import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { parseLock } from "../../src/lock/lockfile.js";
import { status } from "../../src/commands/status.js";
import type { PromptStatus } from "../../src/plan/states.js";
import { type FileTree, exists, type TempProject, makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { multiFileAnswer } from "../support/openai-server.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
afterEach(cleanupProjects);

/** Builds every buildable prompt of the project from the test server. */
async function buildAll(project: TempProject) {
  return build({ cwd: project.root, baseUrl: server.baseURL, retries: 0 });
}

/** A project built once, so every prompt starts fresh. */
async function builtProject(files: FileTree): Promise<TempProject> {
  const project = await makeProject(files);
  const report = await buildAll(project);
  expect(report.ok).toBe(true);
  return project;
}

async function states(project: TempProject): Promise<Record<string, PromptStatus>> {
  const report = await status({ cwd: project.root });
  return Object.fromEntries(report.prompts.map((p) => [p.prompt, p]));
}

const A = "prompts/a.md";
const B = "prompts/b.md";
const C = "prompts/c.md";

describe("prompt states", () => {
  it("new: a prompt with no lock entry and no output", async () => {
    const project = await makeProject({ [A]: promptFile({ output: "generated/a.py" }) });
    const s = (await states(project))[A];
    expect(s.state).toBe("new");
    expect(s.reasons).toEqual(["not built yet"]);
    expect(s.outputs).toEqual(["generated/a.py"]);
  });

  it("fresh: after a build, with the output hash of the bytes on disk in the lock", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    const s = (await states(project))[A];
    expect(s).toMatchObject({ state: "fresh", reasons: [], source: "llm" });
    const lock = parseLock(await project.read("promptfile.lock"));
    const bytes = await project.readBytes("generated/a.py");
    expect(lock.prompts[A].outputs["generated/a.py"]).toBe(
      `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    );
  });

  it("stays fresh when only a comment of the frontmatter changes", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({
      [A]: promptFile({ output: "generated/a.py", extra: "# reviewed in March\ndescription: The a script." }),
    });
    expect((await states(project))[A].state).toBe("fresh");
  });

  it.each([
    ["seed", { seed: 7 }, "seed changed: 42 -> 7"],
    ["temperature", { temperature: 0.5 }, "temperature changed: 0 -> 0.5"],
    ["model", { model: "other-model" }, 'model changed: "test-model" -> "other-model"'],
    ["version", { version: 2 }, "version changed: 1 -> 2"],
    ["body", { body: "Write it better." }, "prompts/a.md changed"],
  ])("stale: when its %s changes, saying so", async (_what, change, reason) => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({ [A]: promptFile({ output: "generated/a.py", ...change }) });
    const s = (await states(project))[A];
    expect(s.state).toBe("stale");
    expect(s.reasons).toContain(reason);
  });

  it("stale: when a context file, a partial or a file() read changes, naming the file", async () => {
    const project = await builtProject({
      [A]: promptFile({
        output: "generated/a.py",
        extra: "context: [src/types.py]",
        body: '<%~ include("_style") %>\n<%~ file("NOTES.md") %>',
      }),
      "src/types.py": "Id = str\n",
      "prompts/_style.md": "Tabs.\n",
      "NOTES.md": "Notes.\n",
    });
    await project.write({ "src/types.py": "Id = int\n" });
    expect((await states(project))[A]).toMatchObject({ state: "stale", reasons: ["input src/types.py changed"] });
    await project.write({ "prompts/_style.md": "Spaces.\n", "NOTES.md": "More notes.\n" });
    expect((await states(project))[A].reasons).toEqual([
      "input NOTES.md changed",
      "input prompts/_style.md changed",
      "input src/types.py changed",
    ]);
  });

  it("stale: when a new file matches a context glob", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py", extra: 'context: ["src/*.py"]' }),
      "src/one.py": "ONE = 1\n",
    });
    await project.write({ "src/two.py": "TWO = 2\n" });
    expect((await states(project))[A]).toMatchObject({ state: "stale", reasons: ["new input src/two.py"] });
  });

  it("stale: a prompt whose dependency is stale, even though none of its own files changed", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py", extra: "context: [generated/a.py]" }),
      [C]: promptFile({ output: "generated/c.py", extra: "context: [generated/b.py]" }),
    });
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 1 }) });
    const s = await states(project);
    expect(s[A].state).toBe("stale");
    expect(s[B]).toMatchObject({ state: "stale", reasons: ["depends on prompts/a.md (stale)"], dependsOn: [A] });
    expect(s[C]).toMatchObject({ state: "stale", reasons: ["depends on prompts/b.md (stale)"], dependsOn: [B] });
  });

  it("stale: a prompt whose dependency's output was rebuilt with other bytes", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py", extra: "context: [generated/a.py]" }),
    });
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 1 }) });
    await build({ cwd: project.root, baseUrl: server.baseURL, paths: [A] });
    const s = await states(project);
    expect(s[A].state).toBe("fresh");
    expect(s[B]).toMatchObject({ state: "stale", reasons: ["input generated/a.py changed"] });
  });

  it("missing: an output file was deleted", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.remove("generated/a.py");
    expect((await states(project))[A]).toMatchObject({ state: "missing", reasons: ["generated/a.py is missing"] });
  });

  it("drifted: an output was edited by hand", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({ "generated/a.py": `${await project.read("generated/a.py")}# my fix\n` });
    const s = (await states(project))[A];
    expect(s.state).toBe("drifted");
    expect(s.reasons[0]).toMatch(/^generated\/a\.py was edited by hand/);
  });

  it("drifted: one output of a two-output prompt edited by hand, the other still as built", async () => {
    server.setAnswer(
      multiFileAnswer({ "generated/model.py": "class Model: pass\n", "generated/cli.py": "import model\n" }),
    );
    const project = await builtProject({ [A]: promptFile({ outputs: ["generated/model.py", "generated/cli.py"] }) });
    await project.write({ "generated/cli.py": "# edited by hand\n" });
    const s = (await states(project))[A];
    expect(s.state).toBe("drifted");
    expect(s.reasons[0]).toBe(
      "generated/cli.py was edited by hand (pc accept keeps the edit, pc build --force regenerates)",
    );
  });

  it("drifted: an output file exists that this prompt never generated", async () => {
    const project = await makeProject({
      [A]: promptFile({ output: "generated/a.py" }),
      "generated/a.py": "print('mine')\n",
    });
    const s = (await states(project))[A];
    expect(s.state).toBe("drifted");
    expect(s.reasons[0]).toMatch(/^generated\/a\.py exists but was not generated by this prompt/);
  });

  it("orphaned: the prompt file is gone but its lock entry remains", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py" }),
    });
    await project.remove(A);
    const s = await states(project);
    expect(s[A]).toMatchObject({ state: "orphaned", outputs: ["generated/a.py"] });
    expect(s[A].reasons[0]).toMatch(/prompt file is gone/);
    expect(s[B].state).toBe("fresh");
  });

  it("failed: the last build of these inputs failed, until the prompt changes", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 5 }) });
    server.fail({ kind: "no-code" });
    expect((await buildAll(project)).ok).toBe(false);
    const failed = (await states(project))[A];
    expect(failed.state).toBe("failed");
    expect(failed.reasons[0]).toMatch(/^last build failed: /);
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 6 }) });
    expect((await states(project))[A].state).toBe("stale");
  });

  it("failed: also for a prompt whose very first build failed", async () => {
    const project = await makeProject({ [A]: promptFile({ output: "generated/a.py" }) });
    server.fail({ kind: "no-code" });
    expect((await buildAll(project)).ok).toBe(false);
    const s = (await states(project))[A];
    expect(s.state).toBe("failed");
    expect(s.reasons[0]).toMatch(/^last build failed: /);
  });

  it("invalid: a prompt that cannot be read is reported with its error, and the others still are", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({
      [B]: "---\nversion: 1\nmodel: [oops\n---\nBody\n",
      [C]: promptFile({ output: "generated/c.py", extra: "temprature: 1" }),
    });
    const s = await states(project);
    expect(s[A].state).toBe("fresh");
    expect(s[B].state).toBe("invalid");
    expect(s[B].reasons[0]).toMatch(/^prompts\/b\.md:\d+: frontmatter is not valid YAML/);
    expect(s[C].state).toBe("invalid");
    expect(s[C].reasons[0]).toMatch(/did you mean "temperature"/);
  });

  it("reports prompts in dependency order, then orphaned entries", async () => {
    const project = await builtProject({
      "prompts/z-base.md": promptFile({ output: "generated/base.py" }),
      [A]: promptFile({ output: "generated/a.py", extra: "context: [generated/base.py]" }),
      "prompts/gone.md": promptFile({ output: "generated/gone.py" }),
    });
    await project.remove("prompts/gone.md");
    const report = await status({ cwd: project.root });
    expect(report.prompts.map((p) => [p.prompt, p.state])).toEqual([
      ["prompts/z-base.md", "fresh"],
      [A, "fresh"],
      ["prompts/gone.md", "orphaned"],
    ]);
  });
});
