import { afterEach, describe, expect, it } from "vitest";
import { makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";

afterEach(cleanupProjects);

const TWO = {
  "prompts/models.md": promptFile({ output: "generated/models.py" }),
  "prompts/api.md": promptFile({ output: "generated/api.py", extra: "context: [generated/models.py]" }),
};

describe("pc status", () => {
  it("--json prints only {prompts: [{prompt, state, reasons, outputs, source, label, dependsOn}]}", async () => {
    const project = await makeProject(TWO);
    const result = await project.run(["status", "--json"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report)).toEqual(["prompts"]);
    expect(report.prompts).toEqual([
      {
        prompt: "prompts/models.md",
        state: "new",
        reasons: ["not built yet"],
        outputs: ["generated/models.py"],
        source: null,
        label: null,
        dependsOn: [],
      },
      {
        prompt: "prompts/api.md",
        state: "new",
        reasons: ["not built yet", "depends on prompts/models.md (new)"],
        outputs: ["generated/api.py"],
        source: null,
        label: null,
        dependsOn: ["prompts/models.md"],
      },
    ]);
  });

  it("prints a table of prompt, state, outputs, source and reason", async () => {
    const project = await makeProject(TWO);
    const result = await project.run(["status"]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split("\n");
    expect(lines[0]).toMatch(/^prompt\s+state\s+outputs\s+source\s+reason$/);
    expect(lines[1]).toMatch(/^prompts\/models\.md\s+new\s+generated\/models\.py\s+-\s+not built yet$/);
    expect(lines[2]).toMatch(/^prompts\/api\.md\s+new\s+generated\/api\.py\s+-\s+not built yet \(\+1 more\)$/);
    expect(result.stdout).toContain("2 new");
    expect(result.stdout).not.toMatch(/\x1b\[/);
  });

  it("reports an invalid prompt (file, line, how to fix) without stopping the others", async () => {
    const project = await makeProject({
      ...TWO,
      "prompts/broken.md":
        "---\nversion: 1\nmodel: m\nseed: 1\n  temperature: 0\noutput: generated/broken.py\n---\nBody\n",
      "prompts/typo.md": promptFile({ output: "generated/typo.py", extra: "ouptut_format: py" }),
    });
    const result = await project.run(["status"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/prompts\/broken\.md\s+invalid/);
    expect(result.stdout).toMatch(/prompts\/typo\.md\s+invalid/);
    expect(result.stdout).toMatch(/prompts\/models\.md\s+new/);
    expect(result.stdout).toMatch(/prompts\/api\.md\s+new/);
    expect(result.stderr).toContain("prompts/broken.md:5: frontmatter is not valid YAML");
    expect(result.stderr).toContain("A valid prompt:");
    expect(result.stderr).toContain('prompts/typo.md:7: unknown key "ouptut_format"');

    const json = JSON.parse((await project.run(["status", "--json"])).stdout);
    expect(json.prompts.map((p: { state: string }) => p.state).sort()).toEqual(["invalid", "invalid", "new", "new"]);
  });

  it("never evaluates ---js frontmatter", async () => {
    const project = await makeProject({
      ...TWO,
      "prompts/evil.md":
        '---js\n(require("fs").writeFileSync("pwned.txt", "x"), {version: 1, model: "m", seed: 1, temperature: 0, output: "a.py"})\n---\nBody\n',
    });
    const result = await project.run(["status", "--json"]);
    expect(result.code).toBe(0);
    const evil = JSON.parse(result.stdout).prompts.find((p: { prompt: string }) => p.prompt === "prompts/evil.md");
    expect(evil.state).toBe("invalid");
    expect(evil.reasons[0]).toContain(
      "prompts/evil.md:1: asks for JavaScript frontmatter (---js), which is never evaluated",
    );
    expect(project.exists("pwned.txt")).toBe(false);
  });

  it("limits the report to the paths given: a prompt, an output, or a folder", async () => {
    const project = await makeProject({ ...TWO, "prompts/tools/lint.md": promptFile({ output: "generated/lint.py" }) });
    const prompts = async (...args: string[]) =>
      JSON.parse((await project.run(["status", "--json", ...args])).stdout).prompts.map(
        (p: { prompt: string }) => p.prompt,
      );
    expect(await prompts("prompts/api.md")).toEqual(["prompts/api.md"]);
    expect(await prompts("generated/models.py")).toEqual(["prompts/models.md"]);
    expect(await prompts("prompts/tools")).toEqual(["prompts/tools/lint.md"]);
    const unknown = await project.run(["status", "prompts/nope.md"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no prompt matches "prompts/nope.md"');
  });

  it("says how to start when there are no prompts", async () => {
    const project = await makeProject({ "prompts/.gitkeep": "" });
    const result = await project.run(["status"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("No prompts found");
    expect(JSON.parse((await project.run(["status", "--json"])).stdout)).toEqual({ prompts: [] });
  });

  it("exits 2 on a corrupt lock, naming it, and leaves it as it was", async () => {
    const project = await makeProject({ ...TWO, "promptfile.lock": '{\n  "lockfileVersion": 1,\n  "prompts": {\n' });
    const result = await project.run(["status"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^pc: promptfile\.lock: is not valid JSON/);
    expect(result.stderr).toContain("(PC_LOCK_INVALID)");
    expect(await project.read("promptfile.lock")).toBe('{\n  "lockfileVersion": 1,\n  "prompts": {\n');
  });

  it("exits 2 on an invalid pc.config.json, naming the key", async () => {
    const project = await makeProject({ ...TWO, "pc.config.json": '{"promts": ["prompts/**/*.md"]}' });
    const result = await project.run(["status"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('pc.config.json: unknown key "promts": did you mean "prompts"?');
  });
});
