import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { FileHashes } from "../../src/plan/file-hashes.js";
import { hashPrompt, type PromptHashes } from "../../src/plan/hash.js";
import { loadProject } from "../../src/plan/project.js";
import { parsePrompt } from "../../src/prompt/frontmatter.js";
import { renderPrompt } from "../../src/prompt/render-prompt.js";
import { sha256 } from "../../src/util/fs.js";
import { type FileTree, makeProject, cleanupProjects } from "../support/project.js";

afterEach(cleanupProjects);

const PROMPT = "prompts/app.md";
const BASE = {
  frontmatter: [
    "version: 1",
    "model: qwen2.5-coder:7b",
    "seed: 42",
    "temperature: 0.2",
    "output: generated/app.py",
    "context: [src/types.py]",
    "vars: {name: app}",
  ],
  body: 'Write <%= it.name %>.\n<%~ include("_style") %>',
};
const FILES: FileTree = { "src/types.py": "Id = str\n", "prompts/_style.md": "Use tabs.\n" };

function promptFile(frontmatter: string[], body: string): string {
  return `---\n${frontmatter.join("\n")}\n---\n${body}\n`;
}

/** The input hash of prompts/app.md in a fresh project made of FILES, the overrides, and the prompt. */
async function inputHash(options: { frontmatter?: string[]; body?: string; files?: FileTree } = {}): Promise<string> {
  const text = promptFile(options.frontmatter ?? BASE.frontmatter, options.body ?? BASE.body);
  const project = await makeProject({ ...FILES, ...options.files, [PROMPT]: text });
  const parsed = parsePrompt(PROMPT, text);
  const rendered = renderPrompt(project.root, parsed, sha256(text));
  return hashPrompt(parsed, rendered.messages).inputHash;
}

/** BASE's frontmatter with the line for `key` replaced (or added). */
function withLine(key: string, line: string): string[] {
  const kept = BASE.frontmatter.filter((l) => !l.startsWith(`${key}:`));
  return [...kept, line];
}

describe("the input hash", () => {
  it("is a sha256 that is the same for the same prompt, wherever the project is", async () => {
    const first = await inputHash();
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(await inputHash()).toBe(first);
  });

  it.each([
    ["model", "model: qwen2.5-coder:14b"],
    ["seed", "seed: 43"],
    ["temperature", "temperature: 0.3"],
    ["version", "version: 2"],
    ["top_p", "top_p: 0.9"],
    ["top_k", "top_k: 40"],
    ["max_tokens", "max_tokens: 512"],
    ["stop", "stop: END"],
    ["num_ctx", "num_ctx: 8192"],
    ["think", "think: false"],
    ["min_p", "min_p: 0.05"],
    ["output", "output: generated/main.py"],
    ["extract", "extract: raw"],
    ["format", "format: false"],
    ["system", "system: Be terse."],
    ["vars", "vars: {name: tool}"],
    ["context", "context: [src/types.py, src/more.py]"],
  ])("changes when %s changes", async (key, line) => {
    const base = await inputHash({ files: { "src/more.py": "X = 1\n" } });
    expect(await inputHash({ frontmatter: withLine(key, line), files: { "src/more.py": "X = 1\n" } })).not.toBe(base);
  });

  it("changes when the body, a partial or a context file changes", async () => {
    const base = await inputHash();
    expect(await inputHash({ body: `${BASE.body}\nAlso add tests.` })).not.toBe(base);
    expect(await inputHash({ files: { "prompts/_style.md": "Use spaces.\n" } })).not.toBe(base);
    expect(await inputHash({ files: { "src/types.py": "Id = int\n" } })).not.toBe(base);
  });

  it("is the same for a pin written out at its default, and differs for another value: extract, format, stop", async () => {
    const base = await inputHash();
    expect(await inputHash({ frontmatter: withLine("extract", "extract: fenced") })).toBe(base);
    expect(await inputHash({ frontmatter: withLine("extract", "extract: raw") })).not.toBe(base);
    expect(await inputHash({ frontmatter: withLine("format", "format: true") })).toBe(base);
    expect(await inputHash({ frontmatter: withLine("format", "format: false") })).not.toBe(base);
    // One stop string is a list of one: the same request.
    const end = await inputHash({ frontmatter: withLine("stop", 'stop: "END"') });
    expect(await inputHash({ frontmatter: withLine("stop", "stop: [END]") })).toBe(end);
    expect(end).not.toBe(base);
    expect(await inputHash({ frontmatter: withLine("stop", "stop: [END, STOP]") })).not.toBe(end);
  });

  it("changes when outputs are given in another order (the answer is split in that order)", async () => {
    const two = (list: string) => withLine("output", `outputs: [${list}]`);
    expect(await inputHash({ frontmatter: two("a.py, b.py") })).not.toBe(
      await inputHash({ frontmatter: two("b.py, a.py") }),
    );
  });

  it("does not change for what the model never sees: key order, comments, description, line endings", async () => {
    const base = await inputHash();
    expect(await inputHash({ frontmatter: [...BASE.frontmatter].reverse() })).toBe(base);
    expect(await inputHash({ frontmatter: ["# pinned for the release", ...BASE.frontmatter] })).toBe(base);
    expect(await inputHash({ frontmatter: [...BASE.frontmatter, "description: The app."] })).toBe(base);
    expect(await inputHash({ files: { "src/types.py": "Id = str\r\n" } })).toBe(base);
  });

  it("does not change when the context entries are reordered", async () => {
    const files = { "src/a.py": "A = 1\n", "src/b.py": "B = 2\n" };
    const one = await inputHash({
      frontmatter: withLine("context", "context: [src/types.py, src/a.py, src/b.py]"),
      files,
    });
    const two = await inputHash({
      frontmatter: withLine("context", "context: [src/b.py, src/types.py, src/a.py]"),
      files,
    });
    const glob = await inputHash({ frontmatter: withLine("context", 'context: ["src/*.py"]'), files });
    expect(two).toBe(one);
    expect(glob).toBe(one);
  });

  it("covers the bytes of a local gguf model file", async () => {
    const prompt = promptFile(withLine("model", "model: gguf:models/tiny.gguf"), "Hi");
    const one = await makeProject({ ...FILES, [PROMPT]: prompt, "models/tiny.gguf": "weights-1" });
    const two = await makeProject({ ...FILES, [PROMPT]: prompt, "models/tiny.gguf": "weights-2" });
    const [a, b] = await Promise.all([one, two].map(async (p) => (await loadProject(p.root)).prompts.get(PROMPT)!));
    expect(a.inputHashes["models/tiny.gguf"]).toBe(sha256("weights-1"));
    expect(a.hashes!.inputHash).not.toBe(b.hashes!.inputHash);
  });
});

describe("a prompt's checks", () => {
  /** The hashes of prompts/app.md with these frontmatter lines added, its check inputs hashed as given. */
  async function hashes(lines: string[], checkInputs: Record<string, string> = {}): Promise<PromptHashes> {
    const text = promptFile([...BASE.frontmatter, ...lines], BASE.body);
    const project = await makeProject({ ...FILES, "tests/test_app.py": "def test_app(): pass\n", [PROMPT]: text });
    const parsed = parsePrompt(PROMPT, text);
    return hashPrompt(parsed, renderPrompt(project.root, parsed, sha256(text)).messages, undefined, checkInputs);
  }
  const TEST_PY = { "tests/test_app.py": sha256("def test_app(): pass\n") };

  it("change the input hash and the checks hash, never the request hash: a changed check reruns on the cached generation", async () => {
    const none = await hashes([]);
    expect(none.checksHash).toBeUndefined();
    const one = await hashes(["check: pytest -q"]);
    expect(one.checksHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(one.requestHash).toBe(none.requestHash);
    expect(one.inputHash).not.toBe(none.inputHash);
    const two = await hashes(["check: [pytest -q, ruff check .]"]);
    expect(two.checksHash).not.toBe(one.checksHash);
    expect(two.inputHash).not.toBe(one.inputHash);
    expect(two.requestHash).toBe(none.requestHash);
  });

  it("hash one command like a list of one, and the default timeout written out like no timeout", async () => {
    const one = await hashes(["check: pytest -q"]);
    expect(await hashes(["check: [pytest -q]"])).toEqual(one);
    expect(await hashes(["check: pytest -q", "check_timeout: 60"])).toEqual(one);
    const longer = await hashes(["check: pytest -q", "check_timeout: 120"]);
    expect(longer.checksHash).not.toBe(one.checksHash);
    expect(longer.inputHash).not.toBe(one.inputHash);
  });

  it("cover the bytes of the files the checks read", async () => {
    const lines = ["check: pytest -q", "check_inputs: [tests/test_app.py]"];
    const before = await hashes(lines, TEST_PY);
    const after = await hashes(lines, { "tests/test_app.py": sha256("def test_app(): assert False\n") });
    expect(after.checksHash).not.toBe(before.checksHash);
    expect(after.inputHash).not.toBe(before.inputHash);
    expect(after.requestHash).toBe(before.requestHash);
  });
});

describe("the request hash pc recorded before it pinned every sampler", () => {
  // Computed by pc as it was before it pinned every sampler (it sent top_p always, and top_k,
  // max_tokens and stop when pinned): a lock entry holding one of these is carried over, not regenerated.
  const MESSAGES = [
    { role: "system" as const, content: "You write files." },
    { role: "user" as const, content: "Write the app." },
  ];
  const RECORDED: Array<[string[], string]> = [
    [[], "sha256:69588900bdc5ecaa8e8e0c5d8f98fbc1a1f4c19c9c3ea1281c84788a7f2ef059"],
    [
      ["top_k: 40", "max_tokens: 512", 'stop: "END"'],
      "sha256:f8e01395a7f250e76a01ae59506b7dc009ed608f0fe2bdad11277843b75525ea",
    ],
    [
      ["top_k: 40", "max_tokens: 512", "stop: [END, STOP]"],
      "sha256:5acddea494a2c9f867c980ea27834c87925ef1a2cb7dec5e3d637c8a69ae2616",
    ],
  ];

  it.each(RECORDED)("is known again for a prompt pinning %j", (lines, recorded) => {
    const pins = ["version: 1", "model: qwen2.5-coder:7b", "seed: 42", "temperature: 0.2", "top_p: 0.9"];
    const text = promptFile([...pins, "output: generated/app.py", ...lines], "Write the app.");
    const hashes = hashPrompt(parsePrompt(PROMPT, text), MESSAGES);
    expect(hashes.beforeSamplers).toBe(recorded);
    expect(hashes.requestHash).not.toBe(recorded);
  });
});

describe("the output hash", () => {
  const hex = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

  it("is sha256: and the lowercase hex of the bytes on disk, line endings and BOM included", async () => {
    const bytes = Buffer.from("\uFEFFprint('hi')\r\n", "utf8");
    const project = await makeProject({ "generated/a.py": bytes });
    const hash = await new FileHashes(project.root).hash("generated/a.py");
    expect(hash).toBe(hex(bytes));
    expect(hash).toBe(
      "sha256:" +
        createHash("sha256")
          .update(await project.readBytes("generated/a.py"))
          .digest("hex"),
    );
    expect(hash).not.toBe(hex(Buffer.from("print('hi')\n")));
  });

  it("is undefined for a file that does not exist", async () => {
    const project = await makeProject();
    expect(await new FileHashes(project.root).hash("generated/gone.py")).toBeUndefined();
  });

  it("hashes a large file by streaming, and notices when it changes", async () => {
    const big = Buffer.alloc(9 * 1024 * 1024, 7);
    const project = await makeProject({ "models/big.gguf": big });
    const files = new FileHashes(project.root);
    expect(await files.hash("models/big.gguf")).toBe(hex(big));
    await files.save();
    big[0] = 8;
    await project.write({ "models/big.gguf": big });
    expect(await new FileHashes(project.root).hash("models/big.gguf")).toBe(hex(big));
  });
});
