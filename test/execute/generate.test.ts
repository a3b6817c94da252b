// Getting a prompt's outputs from the model: an answer cut short says what cut it and how to fix
// that, and keeps the raw answer; nothing is written.
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { GenerationStore } from "../../src/cache/store.js";
import { verify } from "../../src/commands/verify.js";
import { makeProject, cleanupProjects, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { testServer, useTestServer } from "../support/test-server.js";
import { buildIn } from "../support/build.js";
import { multiFileAnswer } from "../support/answers.js";
import { fencedAnswer, type TestServer } from "../support/openai-server.js";
import { promptTokens } from "../support/sse.js";

const server = useTestServer();
afterAll(cleanupProjects);
afterEach(() => void vi.unstubAllEnvs());

async function truncated(on: Pick<TestServer, "baseURL">, pins: Record<string, unknown> = {}) {
  const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py", ...pins }) });
  const { report } = await buildIn(project, on, { retries: 0 });
  const error = report.prompts[0]!.error!;
  expect(error.code).toBe("PC_ANSWER_TRUNCATED");
  expect(project.exists("generated/p.py")).toBe(false);
  expect(project.exists("promptfile.lock")).toBe(false);
  expect(error.hint).toMatch(/\nThe raw answer is kept in \.pc\/failed\/prompts__p\.md\.txt\.$/);
  expect(project.exists(".pc/failed/prompts__p.md.txt")).toBe(true);
  return error;
}

describe("an answer cut short (finish_reason: length)", () => {
  it("by the pinned max_tokens names it", async () => {
    const error = await truncated(server, { max_tokens: 4 });
    expect(error.message).toMatch(
      /^model "test-model" at http:\/\/127\.0\.0\.1:\d+\/v1: the answer was cut short at 4 tokens \(finish_reason: length\): max_tokens is 4$/,
    );
    expect(error.hint).toMatch(/^Raise max_tokens in the frontmatter, or ask for a shorter file\.\n/);
  });

  it("by a full context of the server names its size, not max_tokens", async () => {
    // The same prompt's tokens as the server counts them; its context leaves the answer 3 of them.
    const probe = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py", max_tokens: 100000 }) });
    await buildIn(probe, server);
    const prompt = promptTokens(server.chatRequests()[0]!.body);
    const small = await testServer({ nCtx: prompt + 3 });
    const error = await truncated(small, { max_tokens: 100000 });
    expect(error.message).toMatch(
      new RegExp(
        `: the answer was cut short at 3 tokens \\(finish_reason: length\\): the model's context of ${prompt + 3} tokens is full \\(the prompt's ${prompt} tokens and the answer's 3\\)$`,
      ),
    );
    expect(error.hint).toMatch(
      /^Start the server with a larger context \(llama-server -c 16384; Ollama: num_ctx\), or shorten the prompt and its context files\.\n/,
    );
  });

  it("by the server's own output limit, with room left in its context, says so", async () => {
    server.fail({ kind: "length" });
    const error = await truncated(server);
    expect(error.message).toMatch(
      /: the server's own output limit stopped it \(its context of 4096 tokens is not full\)$/,
    );
    expect(error.hint).toMatch(/^Start the server without an output limit \(llama-server -n -1\), or pin max_tokens/);
  });

  it("by a server that tells no context size: either cause, with both fixes", async () => {
    const plain = await testServer({ flavor: "plain" });
    plain.fail({ kind: "length" });
    const error = await truncated(plain);
    expect(error.message).toMatch(
      /: the server stopped it with no max_tokens pinned: its context is full \(the prompt's \d+ tokens and the answer's \d+\) or it has an output limit of its own$/,
    );
    expect(error.hint).toMatch(
      /^Start the server with a larger context \(llama-server -c 16384; Ollama: num_ctx\) and no output limit \(llama-server -n -1\), or shorten the prompt and its context files\.\n/,
    );
  });
});

describe("an answer that holds the API key", () => {
  it("fails its prompt with nothing written; the raw answer is kept with the key redacted", async () => {
    const key = "sk-test-4f3e2d1c0b";
    vi.stubEnv("PC_API_KEY", key);
    server.setAnswer(`\`\`\`python\nAPI_KEY = "${key}"\n\`\`\`\n`);
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const { report } = await buildIn(project, server, { retries: 0 });
    const error = report.prompts[0]!.error!;
    expect(error.code).toBe("PC_SECRET_REFUSED");
    expect(error.message).toMatch(
      /^model "test-model" at http:\/\/127\.0\.0\.1:\d+\/v1: the answer contains the API key \(PC_API_KEY\) or a credential of the base URL; nothing was written$/,
    );
    expect(error.hint).toBe(
      "pc never writes a secret to a file. The server echoed it into the answer: check the server or gateway (a prompt that asks for the key gets it refused too).\nThe raw answer is kept in .pc/failed/prompts__p.md.txt.",
    );
    expect(project.exists("generated/p.py")).toBe(false);
    expect(project.exists("promptfile.lock")).toBe(false);
    expect(await project.read(".pc/failed/prompts__p.md.txt")).toBe('```python\nAPI_KEY = "[redacted]"\n```\n');
  });
});

describe("restoring a cached generation", () => {
  /** A built project whose newest cached generation of the prompt, for the same request, records `outputs`. */
  async function cachedWith(
    outputs: Record<string, string>,
    built: Record<string, string> = { "generated/p.py": "x = 1\n" },
  ): Promise<TempProject> {
    server.setAnswer(multiFileAnswer(built));
    const project = await makeProject({ "prompts/p.md": promptFile({ outputs: Object.keys(built) }) });
    await buildIn(project, server);
    const store = new GenerationStore(project.root);
    const [newest] = await store.forPrompt("prompts/p.md");
    await store.save({
      ...newest!,
      id: "ffffffffffff",
      createdAt: new Date(Date.parse(newest!.createdAt) + 1000).toISOString(),
      outputs,
    });
    for (const output of Object.keys(built)) await project.remove(output);
    server.reset();
    return project;
  }

  it("gives the bytes it wrote for the same request and post-processing, not a new extraction of its answer", async () => {
    const project = await cachedWith({ "generated/p.py": "x = 1  # as written then\n" });
    const { report } = await buildIn(project, server);
    expect(report.prompts[0]!.outcome).toBe("cached");
    expect(server.chatRequests()).toHaveLength(0);
    expect(await project.read("generated/p.py")).toBe("x = 1  # as written then\n");
  });

  it.each([
    ["another output besides", { "generated/p.py": "x = 1  # tampered\n", "generated/extra.py": "y = 2\n" }],
    ["none of the prompt's outputs", { "generated/other.py": "x = 1  # tampered\n" }],
  ])("whose recorded outputs name %s is extracted again from its answer", async (_, outputs) => {
    const project = await cachedWith(outputs);
    const { report } = await buildIn(project, server);
    expect(report.prompts[0]!.outcome).toBe("cached");
    expect(server.chatRequests()).toHaveLength(0);
    expect(await project.read("generated/p.py")).toBe("x = 1\n");
    expect(project.exists("generated/extra.py")).toBe(false);
    expect(project.exists("generated/other.py")).toBe(false);
  });
  it("of several outputs, whose recorded outputs name only some of the prompt's, is extracted again from its answer", async () => {
    const built = { "generated/p.py": "x = 1\n", "generated/q.py": "y = 1\n" };
    const project = await cachedWith(
      { "generated/p.py": "x = 1  # tampered\n", "generated/other.py": "z = 1\n" },
      built,
    );
    const { report } = await buildIn(project, server);
    expect(report.prompts[0]!.outcome).toBe("cached");
    expect(server.chatRequests()).toHaveLength(0);
    expect(await project.read("generated/p.py")).toBe("x = 1\n");
    expect(await project.read("generated/q.py")).toBe("y = 1\n");
    expect(project.exists("generated/other.py")).toBe(false);
  });
});

describe("a prettier configuration that cannot be read", () => {
  const BROKEN = { ".prettierrc": "{ singleQuote: " };
  const message =
    /cannot format src\/x\.ts: prettier cannot read its configuration: YAML Error in "\.prettierrc":\nFlow map must end with a \}/;
  const hint =
    "Fix the configuration file prettier names (or remove it), or set format: false in the prompt's frontmatter to write its outputs unformatted.";

  it("fails a new generation naming the file, with nothing written and the answer kept", async () => {
    server.setAnswer(fencedAnswer("export const x = 1;", "typescript"));
    const project = await makeProject({ ...BROKEN, "prompts/p.md": promptFile({ output: "src/x.ts" }) });
    const { report } = await buildIn(project, server, { retries: 0 });
    const error = report.prompts[0]!.error!;
    expect(error.code).toBe("PC_FORMAT_CONFIG");
    expect(error.message).toMatch(message);
    expect(error.hint).toBe(`${hint}\nThe raw answer is kept in .pc/failed/prompts__p.md.txt.`);
    expect(project.exists("src/x.ts")).toBe(false);
    expect(project.exists("promptfile.lock")).toBe(false);
  });

  it("fails a restore from the cache the same way, with no model call", async () => {
    server.setAnswer(fencedAnswer("export const x = 1;", "typescript"));
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "src/x.ts" }) });
    await buildIn(project, server);
    await project.remove("src/x.ts");
    await project.write(BROKEN);
    server.reset();

    const { report } = await buildIn(project, server);
    expect(server.chatRequests()).toHaveLength(0);
    expect(report.prompts[0]!.error).toMatchObject({
      code: "PC_FORMAT_CONFIG",
      message: expect.stringMatching(message),
      hint,
    });
    expect(project.exists("src/x.ts")).toBe(false);
  });
});

describe("pc verify, which writes nothing", () => {
  it("reports an unusable regenerated answer as it is, keeping no copy of it", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    await buildIn(project, server);
    const before = await project.snapshot();
    server.setAnswer("I cannot write that file.");
    const report = await verify({ cwd: project.root, baseUrl: server.baseURL });
    expect(report.prompts[0]!.outcome).toBe("differs");
    const error = report.prompts[0]!.error!;
    expect(error.code).toBe("PC_ANSWER_NO_CODE");
    expect(error.message).toMatch(/^the answer has no usable code block/);
    expect(report.prompts[0]!.reasons).toEqual([`the regenerated answer is unusable: ${error.message}`]);
    expect(error.hint).not.toMatch(/raw answer is kept/);
    expect(await project.snapshot()).toEqual(before);
  });
});
