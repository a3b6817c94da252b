import { afterEach, describe, expect, it } from "vitest";
import { exists, makeProject, cleanupProjects } from "../support/project.js";

afterEach(cleanupProjects);

describe("pc init", () => {
  it("creates prompts/, generated/, an example prompt, a partial, an empty lock and ignores .pc/", async () => {
    const project = await makeProject();
    const result = await project.run(["init"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("created prompts/fizzbuzz.md");
    expect(project.exists("generated")).toBe(true);
    expect(await project.read("promptfile.lock")).toBe('{\n  "lockfileVersion": 1,\n  "prompts": {}\n}\n');
    expect(await project.read("prompts/fizzbuzz.md")).toMatch(/^---\nversion: 1\n/);
    expect(await project.read("prompts/_style.md")).not.toBe("");
    expect(await project.read(".gitignore")).toContain(".pc/");

    const status = await project.run(["status", "--json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).prompts).toMatchObject([
      { prompt: "prompts/fizzbuzz.md", state: "new", outputs: ["generated/fizzbuzz.py"] },
    ]);
    const render = await project.run(["render", "prompts/fizzbuzz.md"]);
    expect(render.code).toBe(0);
    expect(render.stdout).toContain("Use only the standard library.");
  });

  it("never overwrites an existing file, and says which it kept", async () => {
    const project = await makeProject({
      "prompts/fizzbuzz.md": "my own prompt\n",
      "promptfile.lock": "not even JSON",
      ".gitignore": "node_modules/",
    });
    const result = await project.run(["init"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("kept    prompts/fizzbuzz.md (already exists)");
    expect(result.stdout).toContain("kept    promptfile.lock (already exists)");
    expect(result.stdout).toContain("created prompts/_style.md");
    expect(await project.read("prompts/fizzbuzz.md")).toBe("my own prompt\n");
    expect(await project.read("promptfile.lock")).toBe("not even JSON");
    expect(await project.read(".gitignore")).toBe("node_modules/\n# promptcode's generation cache\n.pc/\n");
  });

  it("run twice changes nothing the second time", async () => {
    const project = await makeProject();
    await project.run(["init"]);
    const files = ["prompts/fizzbuzz.md", "prompts/_style.md", "promptfile.lock", ".gitignore"];
    const before = await Promise.all(files.map((f) => project.read(f)));
    const again = await project.run(["init"]);
    expect(again.code).toBe(0);
    expect(again.stdout).not.toContain("created");
    expect(await Promise.all(files.map((f) => project.read(f)))).toEqual(before);
  });
});
