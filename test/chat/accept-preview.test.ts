import { afterEach, describe, expect, it } from "vitest";
import { accept } from "../../src/commands/accept.js";
import { fencedAnswer } from "../support/openai-server.js";
import { listFiles, makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";

afterEach(cleanupProjects);

describe("accept({ dryRun }): what pc accept would write, writing nothing (pc ui's preview)", () => {
  it("extracts and formats the answer as accept does, and leaves the outputs, the lock and the cache as they were", async () => {
    const project = await makeProject({
      "prompts/app.md": promptFile({ output: "generated/app.js" }),
      "generated/app.js": "old\n",
    });
    const answer = `Here:\n\n${fencedAnswer("const  a=1", "javascript")}\n`;
    const before = await listFiles(project.root);
    const preview = await accept({ cwd: project.root, prompt: "prompts/app.md", answer, dryRun: true, force: true });
    expect(preview.texts).toEqual({ "generated/app.js": "const a = 1;\n" }); // prettier, as a build formats it
    expect(preview.written).toEqual(["generated/app.js"]);
    expect(preview.recorded).toBe(false);
    expect(await listFiles(project.root)).toEqual(before);
    expect(await project.read("generated/app.js")).toBe("old\n");

    const done = await accept({ cwd: project.root, prompt: "prompts/app.md", answer, force: true });
    expect(await project.read("generated/app.js")).toBe(preview.texts!["generated/app.js"]);
    expect(done.outputs).toEqual(preview.outputs);
  });

  it("refuses, as accept would, an answer with no code, or a hand edit without force", async () => {
    const project = await makeProject({
      "prompts/app.md": promptFile({ output: "generated/app.js" }),
      "generated/app.js": "by hand\n",
    });
    await expect(
      accept({ cwd: project.root, prompt: "prompts/app.md", answer: "no code here", dryRun: true }),
    ).rejects.toMatchObject({ code: "PC_ANSWER_NO_CODE" });
    await expect(
      accept({ cwd: project.root, prompt: "prompts/app.md", answer: fencedAnswer("x()", "javascript"), dryRun: true }),
    ).rejects.toMatchObject({ code: "PC_OUTPUT_DRIFTED" });
    await expect(accept({ cwd: project.root, prompt: "prompts/app.md", dryRun: true })).rejects.toMatchObject({
      code: "PC_USAGE",
    });
  });
});
