import { afterEach, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { buildGraph } from "../../src/plan/dependency-graph.js";
import { status } from "../../src/commands/status.js";
import { makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
afterEach(cleanupProjects);

describe("the prompt graph (pure)", () => {
  it("orders dependencies first, ties broken by path", () => {
    const graph = buildGraph([
      { prompt: "prompts/app.md", outputs: ["gen/app.py"], inputs: ["prompts/app.md", "gen/models.py", "gen/util.py"] },
      { prompt: "prompts/util.md", outputs: ["gen/util.py"], inputs: ["prompts/util.md"] },
      { prompt: "prompts/models.md", outputs: ["gen/models.py"], inputs: ["prompts/models.md", "gen/util.py"] },
      { prompt: "prompts/docs.md", outputs: ["gen/README.md"], inputs: ["prompts/docs.md"] },
    ]);
    expect(graph.order).toEqual(["prompts/util.md", "prompts/models.md", "prompts/app.md", "prompts/docs.md"]);
    expect(graph.dependsOn.get("prompts/app.md")).toEqual(["prompts/models.md", "prompts/util.md"]);
    expect(graph.dependsOn.get("prompts/util.md")).toEqual([]);
    expect(graph.owners.get("gen/models.py")).toBe("prompts/models.md");
    expect(graph.errors.size).toBe(0);
  });

  it("reports a cycle on every prompt in it, naming them", () => {
    const graph = buildGraph([
      { prompt: "prompts/a.md", outputs: ["gen/a.py"], inputs: ["gen/b.py"] },
      { prompt: "prompts/b.md", outputs: ["gen/b.py"], inputs: ["gen/a.py"] },
      { prompt: "prompts/c.md", outputs: ["gen/c.py"], inputs: [] },
    ]);
    for (const prompt of ["prompts/a.md", "prompts/b.md"]) {
      const error = graph.errors.get(prompt)!;
      expect(error.code).toBe("PC_GRAPH_CYCLE");
      expect(error.message).toContain("prompts/a.md");
      expect(error.message).toContain("prompts/b.md");
    }
    expect(graph.errors.has("prompts/c.md")).toBe(false);
  });

  it("reports a longer cycle with its path", () => {
    const graph = buildGraph([
      { prompt: "p/a.md", outputs: ["a"], inputs: ["c"] },
      { prompt: "p/b.md", outputs: ["b"], inputs: ["a"] },
      { prompt: "p/c.md", outputs: ["c"], inputs: ["b"] },
    ]);
    expect(graph.errors.get("p/b.md")!.message).toBe(
      "prompts depend on each other in a cycle: p/a.md -> p/c.md -> p/b.md -> p/a.md",
    );
    expect([...graph.errors.keys()].sort()).toEqual(["p/a.md", "p/b.md", "p/c.md"]);
  });

  it("reports two prompts claiming one output, on both, naming both", () => {
    const graph = buildGraph([
      { prompt: "prompts/one.md", outputs: ["gen/app.py"], inputs: [] },
      { prompt: "prompts/two.md", outputs: ["gen/other.py", "gen/app.py"], inputs: [] },
    ]);
    for (const prompt of ["prompts/one.md", "prompts/two.md"]) {
      const error = graph.errors.get(prompt)!;
      expect(error.code).toBe("PC_OUTPUT_CONFLICT");
      expect(error.message).toBe('output "gen/app.py" is claimed by both prompts/one.md and prompts/two.md');
    }
  });
});

describe("the prompt graph, given in any order", () => {
  it("orders prompts with no dependencies by path, and lists each one's dependencies by path", () => {
    const graph = buildGraph([
      { prompt: "p/d.md", outputs: ["d"], inputs: ["c", "a", "b"] },
      { prompt: "p/c.md", outputs: ["c"], inputs: [] },
      { prompt: "p/b.md", outputs: ["b"], inputs: [] },
      { prompt: "p/a.md", outputs: ["a"], inputs: [] },
      { prompt: "p/e.md", outputs: ["e"], inputs: [] },
    ]);
    expect(graph.order).toEqual(["p/a.md", "p/b.md", "p/c.md", "p/d.md", "p/e.md"]);
    expect(graph.dependsOn.get("p/d.md")).toEqual(["p/a.md", "p/b.md", "p/c.md"]);
  });

  it("a prompt reading its own output, or naming it twice, depends on nothing and claims nothing twice", () => {
    const graph = buildGraph([{ prompt: "p/a.md", outputs: ["a", "a"], inputs: ["a"] }]);
    expect(graph.dependsOn.get("p/a.md")).toEqual([]);
    expect(graph.errors.size).toBe(0);
  });

  it("names the two claimants of an output in path order, with the key and the fix", () => {
    const graph = buildGraph([
      { prompt: "prompts/two.md", outputs: ["gen/app.py"], inputs: [] },
      { prompt: "prompts/one.md", outputs: ["gen/app.py"], inputs: [] },
    ]);
    expect(graph.errors.get("prompts/two.md")).toMatchObject({
      code: "PC_OUTPUT_CONFLICT",
      file: "prompts/two.md",
      key: "output",
      message: 'output "gen/app.py" is claimed by both prompts/one.md and prompts/two.md',
      hint: "Each generated file is owned by exactly one prompt: rename the output of one of them.",
    });
  });

  it("reports only the prompts in a cycle, from where it closes, with the key and the fix", () => {
    const graph = buildGraph([
      { prompt: "p/a.md", outputs: ["a"], inputs: ["b"] },
      { prompt: "p/b.md", outputs: ["b"], inputs: ["c"] },
      { prompt: "p/c.md", outputs: ["c"], inputs: ["b"] },
    ]);
    expect([...graph.errors.keys()].sort()).toEqual(["p/b.md", "p/c.md"]);
    expect(graph.errors.get("p/c.md")).toMatchObject({
      code: "PC_GRAPH_CYCLE",
      file: "p/b.md",
      key: "context",
      message: "prompts depend on each other in a cycle: p/b.md -> p/c.md -> p/b.md",
      hint: "A prompt cannot read (through context or file()) an output that depends on its own output; remove one edge.",
    });
  });
});

describe("the graph of a project", () => {
  it("follows context and file() reads of other prompts' outputs", async () => {
    const project = await makeProject({
      "prompts/models.md": promptFile({ output: "generated/models.py" }),
      "prompts/api.md": promptFile({ output: "generated/api.py", extra: "context: [generated/models.py]" }),
      "prompts/cli.md": promptFile({
        output: "generated/cli.py",
        body: 'Use this API:\n<%~ file("generated/api.py") %>',
      }),
    });
    const before = await status({ cwd: project.root });
    expect(before.prompts.map((p) => p.prompt)).toEqual(["prompts/models.md", "prompts/api.md", "prompts/cli.md"]);
    expect(before.prompts.map((p) => p.state)).toEqual(["new", "new", "new"]);
    expect(before.prompts[2].reasons).toContain("depends on prompts/api.md (new)");

    const report = await build({ cwd: project.root, baseUrl: server.baseURL });
    expect(report.prompts.map((p) => [p.prompt, p.outcome])).toEqual([
      ["prompts/models.md", "built"],
      ["prompts/api.md", "built"],
      ["prompts/cli.md", "built"],
    ]);
    const after = await status({ cwd: project.root });
    expect(after.prompts.map((p) => [p.prompt, p.state, p.dependsOn])).toEqual([
      ["prompts/models.md", "fresh", []],
      ["prompts/api.md", "fresh", ["prompts/models.md"]],
      ["prompts/cli.md", "fresh", ["prompts/api.md"]],
    ]);
  });

  it("reports a cycle between two prompts as invalid, naming both, and the rest normally", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py", extra: "context: [generated/b.py]" }),
      "prompts/b.md": promptFile({ output: "generated/b.py", body: '<%~ file("generated/a.py") %>' }),
      "prompts/c.md": promptFile({ output: "generated/c.py" }),
    });
    const report = await status({ cwd: project.root });
    const byPrompt = Object.fromEntries(report.prompts.map((p) => [p.prompt, p]));
    for (const prompt of ["prompts/a.md", "prompts/b.md"]) {
      expect(byPrompt[prompt].state).toBe("invalid");
      expect(byPrompt[prompt].error?.code).toBe("PC_GRAPH_CYCLE");
      expect(byPrompt[prompt].reasons[0]).toMatch(
        /prompts\/a\.md -> prompts\/b\.md -> prompts\/a\.md|prompts\/b\.md -> prompts\/a\.md -> prompts\/b\.md/,
      );
    }
    expect(byPrompt["prompts/c.md"].state).toBe("new");
  });

  it("reports two prompts claiming one output as invalid, naming both", async () => {
    const project = await makeProject({
      "prompts/one.md": promptFile({ output: "generated/app.py" }),
      "prompts/two.md": promptFile({ output: "generated/./app.py" }),
      "prompts/three.md": promptFile({ output: "generated/three.py" }),
    });
    const report = await status({ cwd: project.root });
    const byPrompt = Object.fromEntries(report.prompts.map((p) => [p.prompt, p]));
    for (const prompt of ["prompts/one.md", "prompts/two.md"]) {
      expect(byPrompt[prompt].state).toBe("invalid");
      expect(byPrompt[prompt].reasons[0]).toContain(
        'output "generated/app.py" is claimed by both prompts/one.md and prompts/two.md',
      );
    }
    expect(byPrompt["prompts/three.md"].state).toBe("new");
  });
});
