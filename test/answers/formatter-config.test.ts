// Runs of pc in one process (pc watch, the library, the in-process CLI) each format with the
// project's prettier configuration as it is when they run, not as an earlier run read it.
import { afterAll, describe, expect, it } from "vitest";
import { accept } from "../../src/commands/accept.js";
import { fencedAnswer } from "../support/openai-server.js";
import { cleanupProjects, makeProject, writeFiles } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);

const CODE = 'export const  point = {x:1,y:"two"}';

describe("formatting across runs in one process", () => {
  it("an accept after a build formats with the prettier configuration changed in between", async () => {
    server.setAnswer(fencedAnswer(CODE, "typescript"));
    const project = await makeProject({
      ".prettierrc.json": JSON.stringify({ singleQuote: true }),
      "prompts/point.md": promptFile({ output: "src/point.ts" }),
    });
    await buildIn(project, server);
    expect(await project.read("src/point.ts")).toBe("export const point = { x: 1, y: 'two' };\n");

    await writeFiles(project.root, { ".prettierrc.json": JSON.stringify({ singleQuote: false, semi: false }) });
    await accept({ cwd: project.root, prompt: "prompts/point.md", answer: fencedAnswer(CODE, "typescript") });
    expect(await project.read("src/point.ts")).toBe('export const point = { x: 1, y: "two" }\n');
  });

  it("a second build formats with the configuration as it is then", async () => {
    server.setAnswer(fencedAnswer(CODE, "typescript"));
    const project = await makeProject({
      ".prettierrc.json": JSON.stringify({ semi: false }),
      "prompts/point.md": promptFile({ output: "src/point.ts" }),
    });
    await buildIn(project, server);
    expect(await project.read("src/point.ts")).toBe('export const point = { x: 1, y: "two" }\n');

    await writeFiles(project.root, { ".prettierrc.json": JSON.stringify({ semi: true, singleQuote: true }) });
    await buildIn(project, server, { force: true });
    expect(await project.read("src/point.ts")).toBe("export const point = { x: 1, y: 'two' };\n");
  });
});
