import { afterEach, describe, expect, it } from "vitest";
import { makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";

afterEach(cleanupProjects);

const FILES = {
  "prompts/api.md": promptFile({
    output: "generated/api.py",
    extra: 'system: Answer in Python 3.12.\ncontext: ["src/*.py"]\nvars: {framework: Flask}',
    body: 'Write a <%= it.framework %> API for the models below.\n<%~ include("_style") %>',
  }),
  "prompts/_style.md": "Use type hints everywhere.\n",
  "src/models.py": "class User:\n    name: str\n",
  "src/db.py": "DB = {}\n",
};

describe("pc render", () => {
  it("prints the whole prompt: system text, instructions, partials, context files and the output contract", async () => {
    const project = await makeProject(FILES);
    const result = await project.run(["render", "prompts/api.md"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    const text = result.stdout;
    expect(text).toContain("You are a code generator in a build system.");
    expect(text).toContain("Answer in Python 3.12.");
    expect(text).toContain("Write a Flask API for the models below.\nUse type hints everywhere.");
    expect(text).toContain("src/db.py\n```python\nDB = {}\n```");
    expect(text).toContain("src/models.py\n```python\nclass User:\n    name: str\n```");
    expect(text.indexOf("src/db.py")).toBeLessThan(text.indexOf("src/models.py"));
    expect(text).toContain("Reply with the complete file `generated/api.py` in one fenced code block");
    expect(text).not.toContain("<%");
    expect(text.endsWith("\n")).toBe(true);
  });

  it("--format json prints the messages exactly as sent to a server", async () => {
    const project = await makeProject(FILES);
    const json = JSON.parse((await project.run(["render", "prompts/api.md", "--format", "json"])).stdout);
    expect(json.prompt).toBe("prompts/api.md");
    expect(json.messages.map((m: { role: string }) => m.role)).toEqual(["system", "user"]);
    const text = (await project.run(["render", "prompts/api.md"])).stdout;
    expect(text).toBe(`${json.messages.map((m: { content: string }) => m.content.trimEnd()).join("\n\n")}\n`);
  });

  it("exits 2 for a prompt that does not exist, and for an unknown --format", async () => {
    const project = await makeProject(FILES);
    const missing = await project.run(["render", "prompts/nope.md"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('prompt "prompts/nope.md" does not exist');
    const format = await project.run(["render", "prompts/api.md", "--format", "html"]);
    expect(format.code).toBe(2);
    expect(format.stderr).toContain("--format must be one of markdown, text, json");
  });

  it("exits 1 for an invalid prompt, naming the file, line and problem", async () => {
    const project = await makeProject({
      ...FILES,
      "prompts/api.md": promptFile({ body: 'Hi\n<%~ include("_nope") %>' }),
    });
    const result = await project.run(["render", "prompts/api.md"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain('pc: prompts/api.md:9: partial "_nope" not found');
  });
});
