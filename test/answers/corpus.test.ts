// The answer corpus (test/fixtures/answers/): answers shaped as Qwen2.5-Coder, Qwen3, DeepSeek-R1,
// QwQ and the ChatGPT/Claude web UIs write them, each taken in through `pc accept` (a chat answer)
// and `pc build` (the same answer streamed by the test server), with the files or the error
// code each must give. One folder per shape: case.json (outputs, extract, expected error),
// answer.md (the answer as given), expected/ (the files), reasoning.txt (reasoning the server
// sends apart from the content, in reasoning_content).
import { afterAll, describe, expect, it } from "vitest";
import { accept } from "../../src/commands/accept.js";
import { isPcError } from "../../src/util/errors.js";
import { buildIn } from "../support/build.js";
import { loadCorpus, type AnswerCase } from "../support/corpus.js";
import { cleanupProjects, listFiles, makeProject, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const cases = loadCorpus();
const server = useTestServer();
afterAll(cleanupProjects);

/** A project whose one prompt asks for the case's outputs, written exactly as extracted. */
function projectFor(c: AnswerCase): Promise<TempProject> {
  return makeProject({
    "prompts/p.md": promptFile({
      output: c.outputs.length === 1 ? c.outputs[0] : c.outputs,
      format: false,
      extract: c.extract,
      body: `Answer shape: ${c.name}.`,
    }),
  });
}

async function expectNothingWritten(project: TempProject): Promise<void> {
  expect((await listFiles(project.root)).filter((f) => !f.startsWith(".pc/"))).toEqual(["prompts/p.md"]);
}

describe("the answer corpus", () => {
  it("holds at least 40 shapes, from every model family", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    const families = new Set(cases.map((c) => c.family));
    for (const family of ["qwen2.5-coder", "qwen3", "deepseek-r1", "qwq", "chatgpt-web", "claude-web"])
      expect(families).toContain(family);
    for (const c of cases) {
      expect(
        c.error === undefined
          ? Object.values(c.files).every((t) => typeof t === "string")
          : /^PC_ANSWER_/.test(c.error),
        c.name,
      ).toBe(true);
    }
  });

  it.each(cases.map((c) => [`${c.family}: ${c.shape} (${c.name})`, c] as const))("%s", async (_title, c) => {
    // pc accept: the answer pasted from a chat UI.
    const accepting = await projectFor(c);
    const accepted = await accept({
      cwd: accepting.root,
      prompt: "prompts/p.md",
      answer: c.answer,
      answerSource: "answer.md",
    }).catch((e: unknown) => e);
    if (c.error) {
      expect(isPcError(accepted) && accepted.code, `pc accept: ${String(accepted)}`).toBe(c.error);
      await expectNothingWritten(accepting);
    } else {
      expect(isPcError(accepted) ? accepted.format() : undefined).toBeUndefined();
      for (const [file, text] of Object.entries(c.files))
        expect(await accepting.read(file), `pc accept: ${file}`).toBe(text);
    }

    // pc build: the same answer from the model (reasoning, if any, in reasoning_content).
    server.setAnswer(c.reasoning === undefined ? c.answer : { content: c.answer, reasoning: c.reasoning });
    const building = await projectFor(c);
    const { report } = await buildIn(building, server, { retries: 0 });
    const result = report.prompts[0]!;
    if (c.error) {
      expect(result.error?.code, `pc build: ${result.error?.format()}`).toBe(c.error);
      await expectNothingWritten(building);
      expect(await building.read(".pc/failed/prompts__p.md.txt")).toBe(c.answer);
    } else {
      expect(result.error?.format()).toBeUndefined();
      for (const [file, text] of Object.entries(c.files))
        expect(await building.read(file), `pc build: ${file}`).toBe(text);
      expect(Object.keys((await building.lock()).prompts["prompts/p.md"]!.outputs).sort()).toEqual(
        [...c.outputs].sort(),
      );
    }
    await accepting.cleanup();
    await building.cleanup();
  });
});

describe("an ambiguous answer through the pc binary", () => {
  const c = cases.find((x) => x.name === "qwen25-coder-usage-same-language")!;

  it("pc accept exits 1, lists the candidates with their first lines and says how to fix the prompt; nothing is written", async () => {
    const project = await projectFor(c);
    await project.write({ "answer.md": c.answer });
    const run = await project.run(["accept", "prompts/p.md", "answer.md"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toContain("PC_ANSWER_AMBIGUOUS");
    expect(run.stderr).toContain("the answer has 2 code blocks that could be generated/fib.py");
    expect(run.stderr).toMatch(
      /block at line 1 \(```python, 13 lines\): import sys\n.*block at line 19 \(```python, 4 lines\): from fib import fib/s,
    );
    expect(run.stderr).toContain("Reply with generated/fib.py only");
    expect(project.exists("generated/fib.py") || project.exists("promptfile.lock")).toBe(false);
  });

  it("pc build exits 1 with the same list and keeps the raw answer under .pc/failed/", async () => {
    server.setAnswer(c.answer);
    const project = await projectFor(c);
    const run = await project.run(["build", "--base-url", server.baseURL, "--retries", "0"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/PC_ANSWER_AMBIGUOUS|could be generated\/fib\.py/);
    expect(run.stderr).toContain("block at line 19 (```python, 4 lines): from fib import fib");
    expect(run.stderr).toContain(".pc/failed/prompts__p.md.txt");
    expect(await project.read(".pc/failed/prompts__p.md.txt")).toBe(c.answer);
    expect(project.exists("generated/fib.py")).toBe(false);
  });
});
