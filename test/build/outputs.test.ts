import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { status } from "../../src/commands/status.js";
import { fencedAnswer, multiFileAnswer } from "../support/openai-server.js";
import { CLI } from "../support/pc.js";
import { type TempProject, makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn, userMessage } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

/** Every output's recorded hash is the hash of the bytes on disk. */
async function expectRecordedHashesMatch(project: TempProject, prompt: string): Promise<void> {
  const entry = (await project.lock()).prompts[prompt]!;
  for (const [file, hash] of Object.entries(entry.outputs)) expect(hash).toBe(sha(await project.read(file)));
}

async function listDir(root: string, relative: string): Promise<string[]> {
  try {
    return await readdir(path.join(root, relative));
  } catch {
    return [];
  }
}

describe("several outputs from one prompt", () => {
  const prompt = promptFile({ outputs: ["generated/model.py", "generated/cli.py"], body: "Write a model and a CLI." });

  it("takes one block per path when the path is on the line before the fence", async () => {
    server.setAnswer(
      `Here you go.\n\n${multiFileAnswer({ "generated/cli.py": "import model\n", "generated/model.py": "class Model: pass\n" })}\n`,
    );
    const project = await makeProject({ "prompts/pair.md": prompt });
    const { report } = await buildIn(project, server);
    expect(report.ok).toBe(true);
    expect(await project.read("generated/model.py")).toBe("class Model: pass\n");
    expect(await project.read("generated/cli.py")).toBe("import model\n");
    expect(userMessage(server.chatRequests()[0]!)).toContain("- generated/model.py\n- generated/cli.py");
    await expectRecordedHashesMatch(project, "prompts/pair.md");
  });

  it("takes the path from the fence's info string", async () => {
    server.setAnswer(
      "```python generated/model.py\nclass Model: pass\n```\n\n```python title=generated/cli.py\nimport model\n```\n",
    );
    const project = await makeProject({ "prompts/pair.md": prompt });
    await buildIn(project, server);
    expect(await project.read("generated/model.py")).toBe("class Model: pass\n");
    expect(await project.read("generated/cli.py")).toBe("import model\n");
  });

  it("fails the prompt and writes neither file when one block is missing; the raw answer is kept", async () => {
    const answer = multiFileAnswer({ "generated/model.py": "class Model: pass\n" });
    server.setAnswer(answer);
    const project = await makeProject({ "prompts/pair.md": prompt });
    const { report } = await buildIn(project, server);
    expect(report.ok).toBe(false);
    expect(report.prompts[0]!.error).toMatchObject({
      code: "PC_ANSWER_NO_CODE",
      message: expect.stringContaining("generated/cli.py"),
    });
    expect(report.prompts[0]!.error!.hint).toContain(".pc/failed/prompts__pair.md.txt");
    expect(await project.read(".pc/failed/prompts__pair.md.txt")).toBe(answer);
    expect(await listDir(project.root, "generated")).toEqual([]);
    await expect(project.read("promptfile.lock")).rejects.toThrow(/ENOENT/);
  });
});

describe("extraction and formatting", () => {
  it("extract: raw takes the whole answer as the file", async () => {
    server.setAnswer("#!/bin/sh\necho hello");
    const project = await makeProject({ "prompts/hello.md": promptFile({ output: "bin/hello.sh", extract: "raw" }) });
    await buildIn(project, server);
    expect(userMessage(server.chatRequests()[0]!)).toContain("and nothing else: no code fence");
    expect(await project.read("bin/hello.sh")).toBe("#!/bin/sh\necho hello\n");
    await expectRecordedHashesMatch(project, "prompts/hello.md");
  });

  it("formats with prettier (honouring the project's prettier config) and records the hash of the bytes written", async () => {
    server.setAnswer(fencedAnswer('export const  point = {x:1,y:"two"}', "typescript"));
    const project = await makeProject({
      ".prettierrc.json": JSON.stringify({ singleQuote: true }),
      "prompts/point.md": promptFile({ output: "src/point.ts" }),
    });
    await buildIn(project, server);
    expect(await project.read("src/point.ts")).toBe("export const point = { x: 1, y: 'two' };\n");
    await expectRecordedHashesMatch(project, "prompts/point.md");
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
  });

  it("format: false writes the code exactly as the model gave it", async () => {
    const code = 'export const  point = {x:1,y:"two"}\n';
    server.setAnswer(fencedAnswer(code, "typescript"));
    const project = await makeProject({ "prompts/point.md": promptFile({ output: "src/point.ts", format: false }) });
    await buildIn(project, server);
    expect(await project.read("src/point.ts")).toBe(code);
    await expectRecordedHashesMatch(project, "prompts/point.md");
  });

  it("writes code prettier cannot parse as given, and files prettier does not know untouched", async () => {
    server.setAnswer((body) => {
      const user = String(body.messages.at(-1)!.content);
      return user.includes("broken.ts")
        ? fencedAnswer("export const = ;", "typescript")
        : fencedAnswer("x  =  1", "python");
    });
    const project = await makeProject({
      "prompts/broken.md": promptFile({ output: "src/broken.ts" }),
      "prompts/script.md": promptFile({ output: "src/script.py" }),
    });
    const { report } = await buildIn(project, server);
    expect(report.ok).toBe(true);
    expect(await project.read("src/broken.ts")).toBe("export const = ;\n");
    expect(await project.read("src/script.py")).toBe("x  =  1\n");
  });

  it("an answer without code fails with a clear message, keeps the raw answer, writes nothing", async () => {
    server.fail({ kind: "no-code" });
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const { report } = await buildIn(project, server);
    const error = report.prompts[0]!.error!;
    expect(error.code).toBe("PC_ANSWER_NO_CODE");
    expect(error.format()).toMatch(
      /^prompts\/p\.md: model "test-model" at http:\/\/127\.0\.0\.1:\d+\/v1: the answer has no usable code block for generated\/p\.py/,
    );
    expect(await project.read(".pc/failed/prompts__p.md.txt")).toMatch(/^I cannot write that file/);
    expect(await listDir(project.root, "generated")).toEqual([]);
    expect((await status({ cwd: project.root })).prompts[0]).toMatchObject({
      state: "failed",
      reasons: expect.arrayContaining([
        expect.stringMatching(/^last build failed: model "test-model" at \S+: the answer has no usable code block/),
      ]),
    });
  });

  it("an answer cut short (finish_reason: length) fails and writes nothing", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py", max_tokens: 5 }) });
    const { report } = await buildIn(project, server);
    expect(report.prompts[0]!.error).toMatchObject({
      code: "PC_ANSWER_TRUNCATED",
      message: expect.stringContaining("finish_reason: length"),
    });
    expect(report.prompts[0]!.error!.hint).toMatch(/max_tokens/);
    expect((await readFile(path.join(project.root, ".pc/failed/prompts__p.md.txt"), "utf8")).length).toBe(20);
    expect(await listDir(project.root, "generated")).toEqual([]);
  });
});
