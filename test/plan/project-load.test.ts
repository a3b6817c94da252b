// Loading a project: what pc status says of a prompt it cannot read, a model file it cannot find,
// and an output no prompt may write.
import { afterAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { accept } from "../../src/commands/accept.js";
import { status } from "../../src/commands/status.js";
import { loadProject, parseLoaded } from "../../src/plan/project.js";
import { parseLock } from "../../src/lock/lockfile.js";
import { cleanupProjects, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";

afterAll(cleanupProjects);

async function only(files: Record<string, string | Uint8Array>) {
  const project = await makeProject(files);
  const report = await status({ cwd: project.root });
  return report.prompts[0]!;
}

describe("a prompt file that is not UTF-8 text", () => {
  const text = Buffer.from(promptFile({ output: "generated/a.py", body: "Write é and more text after it." }));
  it.each([
    [
      "a Latin-1 byte in the body",
      (b: Buffer) => Buffer.concat([b.subarray(0, 100), Buffer.from([0xe9]), b.subarray(100)]),
      100,
    ],
    ["a NUL byte", (b: Buffer) => Buffer.concat([b.subarray(0, 37), Buffer.from([0]), b.subarray(37)]), 37],
    ["a first byte that is no UTF-8", (b: Buffer) => Buffer.concat([Buffer.from([0xff]), b]), 0],
    ["a character cut at the end", (b: Buffer) => Buffer.concat([b, Buffer.from([0xc3])]), text.length],
    [
      "a byte on its own after a whole é",
      (b: Buffer) => Buffer.concat([b, Buffer.from([0xc3, 0xa9, 0xa9])]),
      text.length + 2,
    ],
    ["an overlong lead byte", (b: Buffer) => Buffer.concat([b, Buffer.from([0xc1, 0xa9])]), text.length],
    [
      "a lead byte beyond Unicode",
      (b: Buffer) => Buffer.concat([b, Buffer.from("€😀"), Buffer.from([0xf5, 0x80, 0x80, 0x80])]),
      text.length + 7,
    ],
    [
      "a three-byte character cut short",
      (b: Buffer) => Buffer.concat([b, Buffer.from("€"), Buffer.from([0xe2, 0x82, 0x41])]),
      text.length + 3,
    ],
    [
      "a four-byte character cut short",
      (b: Buffer) => Buffer.concat([b, Buffer.from("😀"), Buffer.from([0xf0, 0x9f, 0x98])]),
      text.length + 4,
    ],
    [
      "a character cut short that begins as U+FFFD does, after a whole U+FFFD",
      (b: Buffer) => Buffer.concat([b, Buffer.from("\uFFFD"), Buffer.from([0xef, 0xbf, 0x41])]),
      text.length + 3,
    ],
    [
      "a NUL after many characters",
      (b: Buffer) => Buffer.concat([Buffer.from("é".repeat(500)), b, Buffer.from([0])]),
      1000 + text.length,
    ],
    [
      "a bad byte after many characters",
      (b: Buffer) => Buffer.concat([Buffer.from("é".repeat(501)), Buffer.from([0xa9]), b]),
      1002,
    ],
  ])("is invalid, naming the first bad byte: %s", async (_what, spoil, at) => {
    const s = await only({ "prompts/a.md": spoil(text) });
    expect(s.state).toBe("invalid");
    expect(s.error).toMatchObject({
      code: "PC_FILE_UNREADABLE",
      file: "prompts/a.md",
      message: `the prompt file is binary or not UTF-8 text (byte ${at})`,
      hint: expect.stringMatching(/^Save the prompt as UTF-8/),
    });
  });
});

describe("a gguf: model file", () => {
  it("that does not exist makes the prompt invalid, saying where it was looked for", async () => {
    const s = await only({ "prompts/a.md": promptFile({ output: "generated/a.txt", model: "gguf:models/none.gguf" }) });
    expect(s.state).toBe("invalid");
    expect(s.error).toMatchObject({
      code: "PC_FILE_UNREADABLE",
      key: "model",
      message: 'model file "models/none.gguf" does not exist',
    });
    expect(s.error!.hint).toMatch(/^A relative path is looked up in the project root; e\.g\. model: gguf:models\//);
  });

  it("outside the project, that does not exist, is named as written", async () => {
    const elsewhere = await makeProject();
    const model = `${elsewhere.root}/none.gguf`;
    const s = await only({ "prompts/a.md": promptFile({ output: "generated/a.txt", model: `gguf:${model}` }) });
    expect(s.error).toMatchObject({ code: "PC_FILE_UNREADABLE", message: `model file "${model}" does not exist` });
  });

  it("names the modelsDir of pc.config.json as the second place", async () => {
    const s = await only({
      "pc.config.json": JSON.stringify({ modelsDir: "/srv/models" }),
      "prompts/a.md": promptFile({ output: "generated/a.txt", model: "gguf:none.gguf" }),
    });
    expect(s.error!.hint).toMatch(
      /^A relative path is looked up in the project root, then in modelsDir \(\/srv\/models\); /,
    );
  });
});

describe("a gguf: model file as an input", () => {
  const ANSWER = "```\nhello\n```\n";
  const short = (bytes: string) => `sha256:${createHash("sha256").update(bytes).digest("hex").slice(0, 12)}`;

  it.each(["gguf:", "gguf:."])("%s names no file: the prompt is invalid, saying what to write", async (model) => {
    const s = await only({
      "prompts/a.md": promptFile({ output: "generated/a.txt", model: undefined, extra: `model: "${model}"` }),
    });
    expect(s.state).toBe("invalid");
    expect(s.error).toMatchObject({
      code: "PC_FRONTMATTER_INVALID",
      key: "model",
      message: "model gguf: names no file",
      hint: expect.stringMatching(/^Give the GGUF file's path, e\.g\. model: gguf:models\//),
    });
  });

  it.each(["gguf:models/m.gguf", "gguf:./models/m.gguf", "gguf:models\\m.gguf"])(
    "in the project (%s), it is an input by its path: a new file there makes the prompt stale, naming both",
    async (model) => {
      const project = await makeProject({
        "prompts/a.md": promptFile({ output: "generated/a.txt", model }),
        "models/m.gguf": "weights one",
      });
      await accept({ cwd: project.root, prompt: "prompts/a.md", answer: ANSWER });
      expect(Object.keys((await project.lock()).prompts["prompts/a.md"]!.inputs)).toEqual([
        "models/m.gguf",
        "prompts/a.md",
      ]);
      expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
      await project.write({ "models/m.gguf": "weights two" });
      expect((await status({ cwd: project.root })).prompts[0]).toMatchObject({
        state: "stale",
        reasons: [
          `the model changed: models/m.gguf is another file now (${short("weights one")} -> ${short("weights two")})`,
        ],
      });
    },
  );

  it("in the project through a link to a shared folder, it is read there: a change of that file makes the prompt stale", async () => {
    const shared = await makeProject({ "m.gguf": "weights one" });
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.txt", model: "gguf:models/m.gguf" }),
    });
    await project.symlink("models", shared.root);
    await accept({ cwd: project.root, prompt: "prompts/a.md", answer: ANSWER });
    const full = (bytes: string) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
    expect((await project.lock()).prompts["prompts/a.md"]!.inputs["models/m.gguf"]).toBe(full("weights one"));
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
    await shared.write({ "m.gguf": "weights two" });
    expect((await status({ cwd: project.root })).prompts[0]).toMatchObject({
      state: "stale",
      reasons: [
        `the model changed: models/m.gguf is another file now (${short("weights one")} -> ${short("weights two")})`,
      ],
    });
  });

  it("that is a folder makes the prompt invalid, saying to name the file", async () => {
    const s = await only({
      "prompts/a.md": promptFile({ output: "generated/a.txt", model: "gguf:models" }),
      "models/m.gguf": "weights",
    });
    expect(s.state).toBe("invalid");
    expect(s.error).toMatchObject({
      code: "PC_FILE_UNREADABLE",
      key: "model",
      message: 'model file "models" is not a file',
      hint: expect.stringMatching(/^Name the GGUF file itself, not a folder, e\.g\. model: gguf:models\//),
    });
  });

  it("in the project under a name that begins with two dots, it is an input by its path", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.txt", model: "gguf:..m.gguf" }),
      "..m.gguf": "weights one",
    });
    await accept({ cwd: project.root, prompt: "prompts/a.md", answer: ANSWER });
    expect(Object.keys((await project.lock()).prompts["prompts/a.md"]!.inputs)).toEqual(["..m.gguf", "prompts/a.md"]);
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
  });

  it.each(["in modelsDir", "by its absolute path"])(
    "outside the project (%s), it is an input by its hash alone: a new file there makes the prompt stale",
    async (where) => {
      const models = await makeProject({ "m.gguf": "weights one" });
      const project = await makeProject({
        "pc.config.json": JSON.stringify({ modelsDir: models.root }),
        "prompts/a.md": promptFile({
          output: "generated/a.txt",
          model: where === "in modelsDir" ? "gguf:m.gguf" : `gguf:${models.root}/m.gguf`,
        }),
      });
      await accept({ cwd: project.root, prompt: "prompts/a.md", answer: ANSWER });
      expect(Object.keys((await project.lock()).prompts["prompts/a.md"]!.inputs)).toEqual(["prompts/a.md"]);
      expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
      await models.write({ "m.gguf": "weights two" });
      expect((await status({ cwd: project.root })).prompts[0]).toMatchObject({
        state: "stale",
        reasons: ["the model changed: m.gguf is another file now"],
      });
    },
  );
});

describe("an output no prompt may write", () => {
  it("another prompt's file is refused", async () => {
    const s = await only({
      "prompts/a.md": promptFile({ output: "prompts/b.md" }),
    });
    expect(s.state).toBe("invalid");
    expect(s.error).toMatchObject({
      code: "PC_OUTPUT_CONFLICT",
      message: 'output "prompts/b.md" is a prompt file (or partial) of this project: a prompt may not overwrite it',
    });
  });

  it("a partial in a dot folder among the prompts is refused too", async () => {
    const s = await only({
      "prompts/a.md": promptFile({ output: "prompts/.shared/_header.md" }),
      "prompts/.shared/_header.md": "Shared text.\n",
    });
    expect(s.error).toMatchObject({
      code: "PC_OUTPUT_CONFLICT",
      message:
        'output "prompts/.shared/_header.md" is a prompt file (or partial) of this project: a prompt may not overwrite it',
    });
  });

  it("a name the file system cannot take makes the prompt invalid, with the system's error", async () => {
    const name = `${"x".repeat(300)}.py`;
    const s = await only({ "prompts/a.md": promptFile({ output: name }) });
    expect(s.state).toBe("invalid");
    expect(s.error).toMatchObject({ code: "PC_FRONTMATTER_INVALID", file: "prompts/a.md" });
    expect(s.error!.message).toMatch(/^cannot be read: ENAMETOOLONG/);
  });

  it("a Markdown file outside the prompts is a fine output", async () => {
    const s = await only({ "prompts/a.md": promptFile({ output: "docs/a.md" }) });
    expect(s.state).toBe("new");
  });
});

describe("a prompt taken from its lock entry, without parsing or rendering it", () => {
  const A = "prompts/a.md";
  /** A project whose prompt was recorded (accepted from a chat answer), with `edit` made to its entry. */
  async function recorded(edit: (entry: Record<string, any>) => void = () => {}, files: Record<string, string> = {}) {
    const project = await makeProject({
      [A]: promptFile({ output: "generated/a.txt", context: ["src/*.txt"] }),
      "src/one.txt": "one\n",
      ...files,
    });
    await accept({ cwd: project.root, prompt: A, answer: "```\nhello\n```\n" });
    const lock = await project.lock();
    edit(lock.prompts[A]!);
    await project.write({ "promptfile.lock": `${JSON.stringify(lock, null, 2)}\n` });
    return project;
  }
  const stageOf = async (root: string, options = {}) => (await loadProject(root, options)).prompts.get(A)!;

  it("is unchanged when every input is as recorded: outputs, inputs and hashes are the entry's", async () => {
    const project = await recorded();
    const entry = (await project.lock()).prompts[A]!;
    const loaded = await stageOf(project.root);
    expect(loaded).toMatchObject({
      stage: "unchanged",
      outputs: ["generated/a.txt"],
      inputs: Object.keys(entry.inputs),
      inputHashes: entry.inputs,
      hashes: { inputHash: entry.inputHash, requestHash: entry.requestHash },
    });
    expect(loaded.parsed).toBeUndefined();
    expect((await stageOf(project.root, { renderAll: true })).stage).toBe("rendered");
  });

  it.each<[string, (entry: Record<string, any>) => void]>([
    ["recorded under another answer protocol", (e) => (e.protocol = 0)],
    ["recorded with no request hash", (e) => delete e.requestHash],
    ["that does not list the prompt among its inputs", (e) => delete e.inputs[A]],
    ["naming a gguf: model in the project that is no input", (e) => (e.model = "gguf:models/m.gguf")],
    [
      "claiming an output that is another prompt",
      (e) => (e.outputs = { "prompts/b.md": e.outputs["generated/a.txt"] }),
    ],
    ["claiming the lock as an output", (e) => (e.outputs = { "promptfile.lock": e.outputs["generated/a.txt"] })],
    [
      "claiming another prompt besides its own output",
      (e) => (e.outputs["prompts/b.md"] = e.outputs["generated/a.txt"]),
    ],
    ["claiming an output in .pc/", (e) => (e.outputs = { ".pc/entries/x": e.outputs["generated/a.txt"] })],
    ["claiming an output outside the project", (e) => (e.outputs = { "../a.txt": e.outputs["generated/a.txt"] })],
    ["whose context glob matches a file it does not list", (e) => delete e.inputs["src/one.txt"]],
  ])("is parsed and rendered again when its entry is one %s", async (_what, edit) => {
    const project = await recorded(edit, { "prompts/b.md": promptFile({ output: "generated/b.txt" }) });
    const loaded = await stageOf(project.root);
    expect(loaded.stage).toBe("rendered");
    expect(loaded.outputs).toEqual(["generated/a.txt"]);
  });

  it("is unchanged when its context glob also matches a folder: only files are inputs, and the folder's files are not", async () => {
    const project = await recorded(() => {}, { "src/notes.txt/inner.txt": "in a folder named like a file\n" });
    expect(Object.keys((await project.lock()).prompts[A]!.inputs)).toEqual([A, "src/one.txt"]);
    expect((await stageOf(project.root)).stage).toBe("unchanged");
  });

  it("takes the lock it is given instead of promptfile.lock (pc lock --repair, when the file cannot be read)", async () => {
    const project = await recorded();
    const lock = parseLock(await project.read("promptfile.lock"));
    await project.write({ "promptfile.lock": "<<<<<<< HEAD\nnot a lock\n" });
    const loaded = await loadProject(project.root, { lock });
    expect(loaded.lock).toBe(lock);
    expect(loaded.lockText).toBeUndefined();
    expect(loaded.prompts.get(A)).toMatchObject({ stage: "unchanged", entry: lock.prompts[A] });
  });
});

describe("parsing a prompt loaded from its lock entry, when a build needs its settings", () => {
  it("parses it once, and says so when the prompt file is gone or could not be read", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.txt", seed: 9 }),
      "prompts/b.md": "---\nversion: [\n---\n",
    });
    await accept({ cwd: project.root, prompt: "prompts/a.md", answer: "```\nhello\n```\n" });
    const loaded = await loadProject(project.root);
    const a = loaded.prompts.get("prompts/a.md")!;
    expect(a.stage).toBe("unchanged");
    const parsed = await parseLoaded(project.root, a);
    expect(parsed.frontmatter).toMatchObject({ seed: 9, output: "generated/a.txt" });
    expect(await parseLoaded(project.root, a)).toBe(parsed);

    const b = loaded.prompts.get("prompts/b.md")!;
    expect(b.stage).toBe("invalid");
    await expect(parseLoaded(project.root, b)).rejects.toMatchObject({
      code: "PC_FRONTMATTER_INVALID",
      file: "prompts/b.md",
    });

    const again = (await loadProject(project.root)).prompts.get("prompts/a.md")!;
    await project.remove("prompts/a.md");
    await expect(parseLoaded(project.root, again)).rejects.toMatchObject({
      code: "PC_PROMPT_NOT_FOUND",
      file: "prompts/a.md",
      message: "the prompt file disappeared",
    });
  });
});

describe("a context file that cannot be read", () => {
  it("makes the prompt invalid, even when its context glob also matches another prompt's output not built yet", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      "prompts/b.md": promptFile({ output: "generated/b.py", context: ["data.bin", "generated/*.py"] }),
      "data.bin": Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0xff]),
      "generated/c.py": "print('written by hand')\n",
    });
    const s = (await status({ cwd: project.root })).prompts.find((p) => p.prompt === "prompts/b.md")!;
    expect(s.state).toBe("invalid");
    expect(s.error).toMatchObject({
      code: "PC_FILE_UNREADABLE",
      message: 'context file "data.bin" is binary or not UTF-8 text',
    });
  });
});

describe("an output two prompts claim", () => {
  it("a prompt that reads it waits for the first of them by path, the one the conflict names first", async () => {
    const project = await makeProject({
      "prompts/one.md": promptFile({ output: "gen/app.py" }),
      "prompts/two.md": promptFile({ output: "gen/app.py" }),
      "prompts/three.md": promptFile({ output: "gen/main.py", context: ["gen/app.py"] }),
    });
    const loaded = await loadProject(project.root);
    expect(loaded.prompts.get("prompts/three.md")).toMatchObject({ stage: "waiting", waitsFor: "prompts/one.md" });
    expect(loaded.graph.errors.get("prompts/two.md")?.message).toBe(
      'output "gen/app.py" is claimed by both prompts/one.md and prompts/two.md',
    );
  });
});
