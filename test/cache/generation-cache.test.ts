import { rm } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { GenerationStore } from "../../src/cache/store.js";
import { loadProject } from "../../src/plan/project.js";
import { status } from "../../src/commands/status.js";
import { fencedAnswer } from "../support/openai-server.js";
import { runPc } from "../support/pc.js";
import { writeFiles, removeProject, readText, readLockJson, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer({
  answer: (body) =>
    fencedAnswer(
      `// ${JSON.stringify(body.messages.at(-1)?.content).length} ${body.seed}\nexport const x   =  ${body.seed}`,
      "typescript",
    ),
});
let root: string;

afterEach(async () => {
  if (root) await removeProject(root);
});

const A = "prompts/a.md";
const B = "prompts/b.md";
const promptA = (body: string, extra: string[] = []) =>
  promptFile({ output: "generated/a.ts", context: ["notes.txt"], body, extra });

async function buildHere(options: { cache?: boolean; offline?: boolean } = {}) {
  return build({ cwd: root, baseUrl: server.baseURL, retries: 0, ...options });
}

const requests = () => server.chatRequests().length;

describe("generation cache", () => {
  it("restores an earlier output with zero requests when a prompt is reverted", async () => {
    root = (await makeProject({ [A]: promptA("Write version one."), "notes.txt": "notes\n" })).root;
    await buildHere();
    const first = await readText(root, "generated/a.ts");
    const firstLock = (await readLockJson(root)).prompts[A];
    await writeFiles(root, { [A]: promptA("Write version two, which is longer.") });
    await buildHere();
    expect(requests()).toBe(2);
    expect(await readText(root, "generated/a.ts")).not.toBe(first);

    await writeFiles(root, { [A]: promptA("Write version one.") });
    const report = await buildHere();
    expect(requests()).toBe(2);
    expect(report.prompts.map((p) => [p.prompt, p.outcome])).toEqual([[A, "cached"]]);
    expect(await readText(root, "generated/a.ts")).toBe(first);
    const entry = (await readLockJson(root)).prompts[A];
    expect(entry.source).toBe("cache");
    expect(entry.inputHash).toBe(firstLock.inputHash);
    expect(entry.outputs).toEqual(firstLock.outputs);
    expect((await status({ cwd: root })).prompts.map((p) => p.state)).toEqual(["fresh"]);
  });

  it("restores when a context file is reverted", async () => {
    root = (await makeProject({ [A]: promptA("Summarise the notes."), "notes.txt": "first notes\n" })).root;
    await buildHere();
    const first = await readText(root, "generated/a.ts");
    await writeFiles(root, { "notes.txt": "second notes, quite different\n" });
    await buildHere();
    expect(requests()).toBe(2);
    await writeFiles(root, { "notes.txt": "first notes\n" });
    const report = await buildHere();
    expect(requests()).toBe(2);
    expect(report.prompts[0]!.outcome).toBe("cached");
    expect(await readText(root, "generated/a.ts")).toBe(first);
  });

  it("restores a deleted output whose inputs are unchanged with zero requests", async () => {
    root = (await makeProject({ [A]: promptA("Write it."), "notes.txt": "n\n" })).root;
    await buildHere();
    const bytes = await readText(root, "generated/a.ts");
    await rm(path.join(root, "generated/a.ts"));
    const report = await buildHere();
    expect(requests()).toBe(1);
    expect(report.prompts[0]!.outcome).toBe("cached");
    expect(await readText(root, "generated/a.ts")).toBe(bytes);
    expect((await readLockJson(root)).prompts[A]!.source).toBe("cache");
  });

  it("re-applies formatting from the cached raw answer when `format` is toggled, without a model call", async () => {
    root = (await makeProject({ [A]: promptA("Write it."), "notes.txt": "n\n" })).root;
    await buildHere();
    const formatted = await readText(root, "generated/a.ts");
    expect(formatted).toContain("export const x = 42;\n");

    await writeFiles(root, { [A]: promptA("Write it.", ["format: false"]) });
    expect((await buildHere()).prompts[0]!.outcome).toBe("cached");
    expect(await readText(root, "generated/a.ts")).toContain("export const x   =  42\n");

    await writeFiles(root, { [A]: promptA("Write it.") });
    expect((await buildHere()).prompts[0]!.outcome).toBe("cached");
    expect(await readText(root, "generated/a.ts")).toBe(formatted);
    expect(requests()).toBe(1);
    // Same request, different post-processing: one cache key, two lock input hashes.
    const store = new GenerationStore(root);
    expect((await store.forPrompt(A)).length).toBe(1);
  });

  it("restores many prompts at once, a dependent after what it reads, each recorded in the lock", async () => {
    const files: Record<string, string> = { "notes.txt": "n\n" };
    const version = (v: number) => {
      for (let i = 0; i < 12; i++)
        files[`prompts/p${i}.md`] = promptFile({ output: `generated/p${i}.ts`, body: `Write ${i}, version ${v}.` });
      files[B] = promptFile({ output: "generated/b.ts", context: ["generated/p0.ts"], body: `Use p0, version ${v}.` });
      return files;
    };
    root = (await makeProject(version(1))).root;
    await buildHere();
    const first = await readLockJson(root);
    const outputs = await Promise.all(
      Object.keys(first.prompts).map((p) => readText(root, Object.keys(first.prompts[p]!.outputs)[0]!)),
    );
    await writeFiles(root, version(2));
    await buildHere();
    expect(requests()).toBe(26);
    await writeFiles(root, version(1));
    const report = await buildHere({ offline: true });
    expect(requests()).toBe(26);
    expect(report.totals.cached).toBe(13);
    const lock = await readLockJson(root);
    for (const [prompt, entry] of Object.entries(first.prompts)) {
      expect(lock.prompts[prompt]!.outputs).toEqual(entry.outputs);
      expect(lock.prompts[prompt]!.inputHash).toBe(entry.inputHash);
    }
    expect(
      await Promise.all(
        Object.keys(first.prompts).map((p) => readText(root, Object.keys(first.prompts[p]!.outputs)[0]!)),
      ),
    ).toEqual(outputs);
    expect((await status({ cwd: root })).prompts.every((p) => p.state === "fresh")).toBe(true);
  });

  it("restores a generation adopted by hand (pc accept) as its bytes, not by re-extracting", async () => {
    root = (await makeProject({ [A]: promptA("Write it."), "notes.txt": "n\n" })).root;
    await buildHere();
    const project = await loadProject(root, { renderAll: true });
    const hashes = project.prompts.get(A)!.hashes!;
    const store = new GenerationStore(root);
    const handBytes = "// kept by hand\nexport const x = 42;\n";
    await store.save({
      id: "0123456789ab",
      prompt: A,
      createdAt: new Date(Date.now() + 1000).toISOString(),
      requestHash: hashes.requestHash,
      inputHash: hashes.inputHash,
      model: "test-model",
      seed: 42,
      temperature: 0,
      source: "hand",
      raw: "",
      outputs: { "generated/a.ts": handBytes },
    });
    await rm(path.join(root, "generated/a.ts"));
    expect((await buildHere()).prompts[0]!.outcome).toBe("cached");
    expect(await readText(root, "generated/a.ts")).toBe(handBytes);
    expect(requests()).toBe(1);
  });

  it("generates when the cached answer no longer fits the prompt's post-processing", async () => {
    root = (await makeProject({ [A]: promptA("Write it."), "notes.txt": "n\n" })).root;
    await buildHere();
    const store = new GenerationStore(root);
    const [g] = await store.forPrompt(A);
    // A newer entry for the same request whose answer has no code block: skipped on restore.
    await store.save({
      ...g!,
      id: "ffffffffffff",
      createdAt: new Date(Date.now() + 1000).toISOString(),
      raw: "no code here",
    });
    const before = await readText(root, "generated/a.ts");
    await rm(path.join(root, "generated/a.ts"));
    expect((await buildHere()).prompts[0]!.outcome).toBe("cached");
    expect(await readText(root, "generated/a.ts")).toBe(before);
    expect(requests()).toBe(1);
  });
});

describe("pc build --no-cache and --offline", () => {
  it("--no-cache skips cache reads: a reverted prompt is generated again", async () => {
    root = (await makeProject({ [A]: promptA("One."), "notes.txt": "n\n" })).root;
    const base = ["build", "--base-url", server.baseURL];
    expect((await runPc(base, { cwd: root })).code).toBe(0);
    await writeFiles(root, { [A]: promptA("Two.") });
    expect((await runPc(base, { cwd: root })).code).toBe(0);
    await writeFiles(root, { [A]: promptA("One.") });
    const run = await runPc([...base, "--no-cache", "--json"], { cwd: root });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).prompts[0].outcome).toBe("built");
    expect(requests()).toBe(3);
    expect((await readLockJson(root)).prompts[A]!.source).toBe("llm");
  });

  it("--offline restores what the cache holds and fails, with a clear message, what needs the model", async () => {
    root = (
      await makeProject({
        [A]: promptA("One."),
        [B]: promptFile({ output: "generated/b.ts", body: "Write b." }),
        "notes.txt": "n\n",
      })
    ).root;
    const base = ["build", "--base-url", server.baseURL];
    expect((await runPc(base, { cwd: root })).code).toBe(0);
    const b = await readText(root, "generated/b.ts");
    await writeFiles(root, { [A]: promptA("Two, never built.") });
    await rm(path.join(root, "generated/b.ts"));

    const run = await runPc([...base, "--offline"], { cwd: root });
    expect(run.code).toBe(1);
    expect(requests()).toBe(2);
    expect(run.stderr).toContain(
      "prompts/a.md: needs the model (--offline): no cached generation matches its current inputs",
    );
    expect(run.stderr).toContain("Run the build without --offline");
    expect(await readText(root, "generated/b.ts")).toBe(b);
    const lock = await readLockJson(root);
    expect(lock.prompts[B]!.source).toBe("cache");
    // The prompt that needs the model is still stale (not marked failed) and its lock entry unchanged.
    const states = (await status({ cwd: root })).prompts.map((p) => [p.prompt, p.state]);
    expect(states).toEqual([
      [A, "stale"],
      [B, "fresh"],
    ]);
  });

  it("refuses --offline with --no-cache as a usage error", async () => {
    root = (await makeProject({ [A]: promptA("One."), "notes.txt": "n\n" })).root;
    const run = await runPc(["build", "--offline", "--no-cache"], { cwd: root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--offline restores from the cache: it cannot be combined with --no-cache");
  });
});
