import { stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { status } from "../../src/commands/status.js";
import { defaultAnswer, fencedAnswer } from "../support/openai-server.js";
import { makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn, outcomes, requestedOutputs, outputOf, userMessage } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);

/** a reads a spec file; b reads a's output (so depends on a); c stands alone. */
const chain = () => ({
  "src/spec.txt": "numbers from 1 to 10\n",
  "prompts/a.md": promptFile({ output: "generated/a.py", context: ["src/spec.txt"], body: "Write a." }),
  "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"], body: "Write b." }),
  "prompts/c.md": promptFile({ output: "generated/c.py", body: "Write c." }),
});

async function builtChain() {
  const project = await makeProject(chain());
  const { report } = await buildIn(project, server);
  expect(outcomes(report)).toEqual({ "prompts/a.md": "built", "prompts/b.md": "built", "prompts/c.md": "built" });
  server.reset();
  return project;
}

async function mtimes(root: string, files: string[]): Promise<number[]> {
  return Promise.all(files.map(async (f) => (await stat(path.join(root, f))).mtimeMs));
}

describe("incremental builds", () => {
  it("builds a prompt after the prompt whose output it reads, showing the model that output", async () => {
    const project = await makeProject(chain());
    const { report } = await buildIn(project, server);
    expect(report.ok).toBe(true);
    const order = requestedOutputs(server);
    expect(order.indexOf("generated/a.py")).toBeLessThan(order.indexOf("generated/b.py"));
    const askedB = server.chatRequests().find((r) => outputOf(r) === "generated/b.py")!;
    expect(userMessage(askedB)).toContain(await project.read("generated/a.py"));
  });

  it("makes zero requests on a second build and leaves every file byte-identical", async () => {
    const project = await builtChain();
    const before = await project.snapshot();
    const files = Object.keys(before);
    const timesBefore = await mtimes(project.root, files);

    const { report } = await buildIn(project, server);

    expect(server.requests).toHaveLength(0);
    expect(report.ok).toBe(true);
    expect(report.totals).toMatchObject({ built: 0, cached: 0, fresh: 3, failed: 0 });
    expect(await project.snapshot()).toEqual(before);
    // Not even rewritten with the same bytes.
    expect(await mtimes(project.root, files)).toEqual(timesBefore);
  });

  it("editing one prompt regenerates it and its dependents only", async () => {
    const project = await builtChain();
    const cBefore = await project.read("generated/c.py");
    const lockBefore = await project.lock();
    await project.write({
      "prompts/a.md": promptFile({ output: "generated/a.py", context: ["src/spec.txt"], body: "Write a, faster." }),
    });

    const { report } = await buildIn(project, server);

    expect(requestedOutputs(server)).toEqual(["generated/a.py", "generated/b.py"]);
    expect(outcomes(report)).toEqual({ "prompts/a.md": "built", "prompts/b.md": "built", "prompts/c.md": "fresh" });
    expect(report.prompts.find((p) => p.prompt === "prompts/a.md")!.reasons).toContain("prompts/a.md changed");
    expect(report.prompts.find((p) => p.prompt === "prompts/b.md")!.reasons).toContain(
      "depends on prompts/a.md (stale)",
    );
    expect(await project.read("generated/c.py")).toBe(cBefore);
    const lock = await project.lock();
    expect(lock.prompts["prompts/c.md"]).toEqual(lockBefore.prompts["prompts/c.md"]);
    expect(lock.prompts["prompts/b.md"]!.inputs["generated/a.py"]).not.toBe(
      lockBefore.prompts["prompts/b.md"]!.inputs["generated/a.py"],
    );
  });

  it("editing a dependent prompt regenerates only that prompt", async () => {
    const project = await builtChain();
    await project.write({
      "prompts/b.md": promptFile({
        output: "generated/b.py",
        context: ["generated/a.py"],
        body: "Write b, with tests.",
      }),
    });
    const { report } = await buildIn(project, server);
    expect(requestedOutputs(server)).toEqual(["generated/b.py"]);
    expect(report.totals).toMatchObject({ built: 1, fresh: 2 });
  });

  it("editing one context file regenerates the prompts that read it and their dependents", async () => {
    const project = await builtChain();
    await project.write({ "src/spec.txt": "numbers from 1 to 20\n" });
    const { report } = await buildIn(project, server);
    expect(requestedOutputs(server)).toEqual(["generated/a.py", "generated/b.py"]);
    expect(report.prompts.find((p) => p.prompt === "prompts/a.md")!.reasons).toContain("input src/spec.txt changed");
    expect(outcomes(report)["prompts/c.md"]).toBe("fresh");
  });

  it("does not regenerate a dependent when its dependency is rebuilt with identical bytes", async () => {
    const fixedA = fencedAnswer("print('a')", "python");
    server.setAnswer((body) => (outputOf({ body } as never) === "generated/a.py" ? fixedA : defaultAnswer(body)));
    const project = await builtChain();
    await project.write({
      "prompts/a.md": promptFile({ output: "generated/a.py", context: ["src/spec.txt"], body: "Write a, again." }),
    });

    const { report } = await buildIn(project, server);

    expect(requestedOutputs(server)).toEqual(["generated/a.py"]);
    expect(outcomes(report)).toMatchObject({ "prompts/a.md": "built", "prompts/b.md": "fresh" });
    expect((await status({ cwd: project.root })).prompts.every((p) => p.state === "fresh")).toBe(true);
  });

  it("reordering context entries changes nothing: no request, same files, same lock", async () => {
    const project = await makeProject({
      "src/x.txt": "x\n",
      "src/y.txt": "y\n",
      "prompts/p.md": promptFile({ output: "generated/p.py", context: ["src/x.txt", "src/y.txt"] }),
    });
    await buildIn(project, server);
    const asked = userMessage(server.chatRequests()[0]!);
    expect(asked.indexOf("src/x.txt")).toBeLessThan(asked.indexOf("src/y.txt"));
    server.reset();
    await project.write({
      "prompts/p.md": promptFile({ output: "generated/p.py", context: ["src/y.txt", "src/x.txt"] }),
    });
    const before = await project.snapshot();

    const { report } = await buildIn(project, server);

    expect(server.requests).toHaveLength(0);
    expect(outcomes(report)).toEqual({ "prompts/p.md": "fresh" });
    expect(await project.snapshot()).toEqual(before);
  });
});

describe("choosing what to build", () => {
  it("`pc build <prompt>` builds that prompt and what it needs, nothing else", async () => {
    const project = await makeProject(chain());
    const { report } = await buildIn(project, server, { paths: ["prompts/b.md"] });
    expect(requestedOutputs(server)).toEqual(["generated/a.py", "generated/b.py"]);
    expect(report.prompts.map((p) => p.prompt).sort()).toEqual(["prompts/a.md", "prompts/b.md"]);
    expect(Object.keys((await project.lock()).prompts)).toEqual(["prompts/a.md", "prompts/b.md"]);
    await expect(project.read("generated/c.py")).rejects.toThrow(/ENOENT/);
  });

  it("accepts an output path or a folder of prompts", async () => {
    const project = await makeProject(chain());
    await buildIn(project, server, { paths: ["generated/c.py"] });
    expect(requestedOutputs(server)).toEqual(["generated/c.py"]);
    server.reset();
    const { report } = await buildIn(project, server, { paths: ["prompts/"] });
    expect(requestedOutputs(server)).toEqual(["generated/a.py", "generated/b.py"]);
    expect(report.totals).toMatchObject({ built: 2, fresh: 1 });
  });

  it("fails with a clear error when a path matches no prompt", async () => {
    const project = await makeProject(chain());
    await expect(buildIn(project, server, { paths: ["prompts/nope.md"] })).rejects.toMatchObject({
      code: "PC_PROMPT_NOT_FOUND",
      message: expect.stringContaining("prompts/nope.md"),
    });
    expect(server.requests).toHaveLength(0);
  });

  it("--force regenerates fresh prompts from the model (limited to the given paths)", async () => {
    const project = await builtChain();
    const before = await project.snapshot();
    const { report } = await buildIn(project, server, { force: true, paths: ["prompts/c.md"] });
    expect(requestedOutputs(server)).toEqual(["generated/c.py"]);
    expect(report.prompts.find((p) => p.prompt === "prompts/c.md")).toMatchObject({
      outcome: "built",
      source: "llm",
      reasons: ["--force"],
    });
    // The test server answers deterministically, so the regenerated file has the same bytes.
    expect(await project.read("generated/c.py")).toBe(before["generated/c.py"]);

    server.reset();
    await buildIn(project, server, { force: true });
    expect(requestedOutputs(server).sort()).toEqual(["generated/a.py", "generated/b.py", "generated/c.py"]);
  });

  it("--dry-run reports each prompt's reason, makes no request and writes nothing", async () => {
    const project = await makeProject(chain());
    const before = await project.snapshot();
    const { report } = await buildIn(project, server, { dryRun: true });
    expect(server.requests).toHaveLength(0);
    expect(report.dryRun).toBe(true);
    expect(outcomes(report)).toEqual({
      "prompts/a.md": "planned",
      "prompts/b.md": "planned",
      "prompts/c.md": "planned",
    });
    expect(report.prompts[0]!.reasons).toEqual(["not built yet"]);
    expect(await project.snapshot()).toEqual(before);

    await buildIn(project, server);
    server.reset();
    await project.write({ "src/spec.txt": "changed\n" });
    const { report: plan } = await buildIn(project, server, { dryRun: true });
    expect(server.requests).toHaveLength(0);
    expect(outcomes(plan)).toEqual({ "prompts/a.md": "planned", "prompts/b.md": "planned", "prompts/c.md": "fresh" });
    expect(plan.prompts.find((p) => p.prompt === "prompts/b.md")!.reasons).toEqual(["depends on prompts/a.md (stale)"]);
  });
});
