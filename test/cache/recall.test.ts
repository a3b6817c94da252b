// A prompt reverted to text built before is restored from the lock entry recorded for that text
// (.pc/entries), without parsing or rendering it, while every input it read then is unchanged.
import { readdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { gc } from "../../src/commands/gc.js";
import { status } from "../../src/commands/status.js";
import { fencedAnswer } from "../support/openai-server.js";
import { writeFiles, removeProject, readText, readLockJson, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

// The answer names the request's prompt body and context, so each request gives its own bytes.
const server = useTestServer({
  answer: (body) =>
    fencedAnswer(`print(${JSON.stringify(JSON.stringify(body.messages.at(-1)?.content).slice(0, 400))})`, "python"),
});
let root: string;

afterEach(async () => {
  if (root) await removeProject(root);
});

const A = "prompts/a.md";
const OUT = "generated/a.py";
const promptA = (body: string, spec: { context?: string[]; output?: string } = {}) =>
  promptFile({ output: spec.output ?? OUT, context: spec.context ?? ["notes/*.txt"], body });
const requests = () => server.chatRequests().length;
const buildHere = (options: { offline?: boolean } = {}) =>
  build({ cwd: root, baseUrl: server.baseURL, retries: 0, ...options });

async function entryFiles(): Promise<string[]> {
  try {
    return (await readdir(path.join(root, ".pc/entries"), { recursive: true }))
      .map(String)
      .filter((f) => f.endsWith(".json"));
  } catch {
    return [];
  }
}

/** Builds version one, then version two, of prompt a: both generations are in the cache. */
async function buildTwoVersions() {
  root = (await makeProject({ [A]: promptA("Version one."), "notes/a.txt": "first notes\n" })).root;
  await buildHere();
  const one = { lock: (await readLockJson(root)).prompts[A]!, bytes: await readText(root, OUT) };
  await writeFiles(root, { [A]: promptA("Version two.") });
  await buildHere();
  const two = { lock: (await readLockJson(root)).prompts[A]!, bytes: await readText(root, OUT) };
  expect(requests()).toBe(2);
  expect(two.bytes).not.toBe(one.bytes);
  return { one, two };
}

describe("recalling the entry of a reverted prompt", () => {
  it("restores with no request and records the entry the prompt had when it was built", async () => {
    const { one } = await buildTwoVersions();
    expect(await entryFiles()).toHaveLength(2);
    await writeFiles(root, { [A]: promptA("Version one.") });
    // pc status knows it from the entry too, with the reason rendering would give.
    expect((await status({ cwd: root })).prompts.map((p) => [p.state, p.reasons])).toEqual([
      ["stale", [`${A} changed`]],
    ]);
    const report = await buildHere();
    expect(report.prompts.map((p) => [p.outcome, p.model])).toEqual([["cached", "test-model"]]);
    expect(requests()).toBe(2);
    expect(await readText(root, OUT)).toBe(one.bytes);
    const { durationMs, engine, usage, source, ...pinsAndHashes } = one.lock;
    expect((await readLockJson(root)).prompts[A]).toEqual({
      ...pinsAndHashes,
      source: "cache",
      durationMs,
      engine,
      usage,
    });
    expect(one.lock.contextGlobs).toEqual(["notes/*.txt"]);
    // Nothing new to remember: the entry for this text was already kept.
    expect(await entryFiles()).toHaveLength(2);
  });

  it("takes the request from the recorded entry, not from rendering the prompt", async () => {
    const { one, two } = await buildTwoVersions();
    await writeFiles(root, { [A]: promptA("Version three.") });
    await buildHere();
    // Point version one's recorded entry at version two's request: a restore that rendered the
    // prompt would find version one's generation instead.
    for (const file of await entryFiles()) {
      const absolute = path.join(root, ".pc/entries", file);
      const stored = JSON.parse(await readFile(absolute, "utf8"));
      if (stored.entries[0].requestHash !== one.lock.requestHash) continue;
      stored.entries[0] = { ...stored.entries[0], requestHash: two.lock.requestHash, inputHash: two.lock.inputHash };
      await writeFile(absolute, JSON.stringify(stored));
    }
    await writeFiles(root, { [A]: promptA("Version one.") });
    expect((await buildHere()).prompts[0]!.outcome).toBe("cached");
    expect(await readText(root, OUT)).toBe(two.bytes);
  });

  it("renders and asks the model when a context file changed since the reverted text was built", async () => {
    const { one } = await buildTwoVersions();
    await writeFiles(root, { [A]: promptA("Version one."), "notes/a.txt": "second notes\n" });
    const report = await buildHere();
    expect(report.prompts[0]!.outcome).toBe("built");
    expect(requests()).toBe(3);
    expect(JSON.stringify(server.chatRequests()[2]!.body.messages)).toContain("second notes");
    const entry = (await readLockJson(root)).prompts[A]!;
    expect(entry.inputs[A]).toBe(one.lock.inputs[A]);
    expect(entry.inputs["notes/a.txt"]).not.toBe(one.lock.inputs["notes/a.txt"]);
  });

  it("renders and asks the model when a context glob matches a new file", async () => {
    await buildTwoVersions();
    await writeFiles(root, { [A]: promptA("Version one."), "notes/b.txt": "more notes\n" });
    expect((await buildHere()).prompts[0]!.outcome).toBe("built");
    expect(requests()).toBe(3);
    expect(Object.keys((await readLockJson(root)).prompts[A]!.inputs).sort()).toEqual([
      "notes/a.txt",
      "notes/b.txt",
      A,
    ]);
  });

  it("still restores, by rendering, when the recorded entries are damaged, and records them again", async () => {
    const { one } = await buildTwoVersions();
    for (const file of await entryFiles())
      await writeFile(path.join(root, ".pc/entries", file), '{"prompt": "prompts/a.md", "entr');
    await writeFiles(root, { [A]: promptA("Version one.") });
    expect((await buildHere()).prompts[0]!.outcome).toBe("cached");
    expect(requests()).toBe(2);
    expect(await readText(root, OUT)).toBe(one.bytes);
    // Version one's file is whole again (version two's stays damaged until it is built again).
    const texts = await Promise.all(
      (await entryFiles()).map((f) => readFile(path.join(root, ".pc/entries", f), "utf8")),
    );
    const whole = texts.filter((t) => t.endsWith("}\n")).map((t) => JSON.parse(t));
    expect(whole.map((k) => k.entries.map((e: { requestHash: string }) => e.requestHash))).toEqual([
      [one.lock.requestHash],
    ]);
  });

  it("generates from the rendered prompt when the recalled request's generation is gone; --offline fails it", async () => {
    await buildTwoVersions();
    await rm(path.join(root, ".pc/generations"), { recursive: true });
    await writeFiles(root, { [A]: promptA("Version one.") });
    const offline = await buildHere({ offline: true });
    expect(offline.prompts[0]).toMatchObject({ outcome: "failed", error: { code: "PC_OFFLINE" } });
    expect(requests()).toBe(2);
    const report = await buildHere();
    expect(report.prompts[0]!.outcome).toBe("built");
    expect(requests()).toBe(3);
    const sent = JSON.stringify(server.chatRequests()[2]!.body.messages);
    expect(sent).toContain("Version one.");
    expect(sent).toContain("first notes");
  });

  it("re-formats a restored file prettier formats, so its configuration (no input) applies", async () => {
    server.setAnswer(() => fencedAnswer('export const greeting = "hi";', "typescript"));
    root = (await makeProject({ [A]: promptA("Version one.", { output: "generated/a.ts" }), "notes/a.txt": "n\n" }))
      .root;
    await buildHere();
    expect(await readText(root, "generated/a.ts")).toBe('export const greeting = "hi";\n');
    await writeFiles(root, { [A]: promptA("Version two.", { output: "generated/a.ts" }) });
    await buildHere();
    await writeFiles(root, {
      [A]: promptA("Version one.", { output: "generated/a.ts" }),
      ".prettierrc": '{"semi": false, "singleQuote": true}\n',
    });
    expect((await buildHere()).prompts[0]!.outcome).toBe("cached");
    expect(await readText(root, "generated/a.ts")).toBe("export const greeting = 'hi'\n");
    expect(requests()).toBe(2);
  });

  it("a dry run says which prompts would restore from the cache and which need the model", async () => {
    await buildTwoVersions();
    await writeFiles(root, { "prompts/b.md": promptFile({ output: "generated/b.py", body: "B." }) });
    await buildHere();
    await writeFiles(root, {
      [A]: promptA("Version one."),
      "prompts/b.md": promptFile({ output: "generated/b.py", body: "B, changed." }),
    });
    const report = await build({ cwd: root, baseUrl: server.baseURL, dryRun: true });
    expect(report.prompts.map((p) => [p.prompt, p.outcome, p.source, p.reasons.at(-1)])).toEqual([
      [A, "planned", "cache", "restores from the cache (no model call)"],
      ["prompts/b.md", "planned", undefined, "prompts/b.md changed"],
    ]);
    expect(requests()).toBe(3);
    expect(
      (await build({ cwd: root, baseUrl: server.baseURL, dryRun: true, cache: false })).prompts.map((p) => p.source),
    ).toEqual([undefined, undefined]);
  });

  it("names the model the reverted text pins, not the one the lock records", async () => {
    root = (await makeProject({ [A]: promptFile({ output: OUT, model: "model-one" }) })).root;
    expect((await buildHere()).prompts.map((p) => p.model)).toEqual(["model-one"]);
    await writeFiles(root, { [A]: promptFile({ output: OUT, model: "model-two" }) });
    expect((await buildHere()).prompts.map((p) => p.model)).toEqual(["model-two"]);
    await writeFiles(root, { [A]: promptFile({ output: OUT, model: "model-one" }) });
    const planned = await build({ cwd: root, baseUrl: server.baseURL, dryRun: true });
    expect(planned.prompts.map((p) => [p.outcome, p.source, p.model])).toEqual([["planned", "cache", "model-one"]]);
    const report = await buildHere();
    expect(report.prompts.map((p) => [p.outcome, p.model])).toEqual([["cached", "model-one"]]);
    expect((await readLockJson(root)).prompts[A]!.model).toBe("model-one");
    expect(requests()).toBe(2);
  });

  it("pc gc drops the entries whose generations it removed, and keeps the others", async () => {
    const { two } = await buildTwoVersions();
    expect(await entryFiles()).toHaveLength(2);
    const report = await gc({ cwd: root, keep: 0 });
    expect(report.removed).toHaveLength(1);
    const left = await Promise.all(
      (await entryFiles()).map(async (f) => JSON.parse(await readFile(path.join(root, ".pc/entries", f), "utf8"))),
    );
    expect(left.map((k) => k.entries.map((e: { requestHash: string }) => e.requestHash))).toEqual([
      [two.lock.requestHash],
    ]);
    await writeFiles(root, { [A]: promptA("Version one.") });
    expect((await buildHere()).prompts[0]!.outcome).toBe("built");
    expect(requests()).toBe(3);
  });
});
