/** `pc build` on the embedded engine with the real tiny model: determinism, the lock, staleness. */
import { NEUTRAL_SAMPLER } from "../../src/engine/samplers.js";
import { createHash } from "node:crypto";
import { readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, type BuildEvent, type BuildOptions } from "../../src/commands/build.js";
import { status } from "../../src/commands/status.js";
import { writeTinyModel } from "../support/tiny-gguf.js";
import { copyProject, removeProject, readLockJson } from "../support/project.js";
import { tinyPrompt, tinyProject, readOutputs } from "../support/tiny-project.js";

const OUTPUTS = ["generated/a.txt", "generated/b.txt", "generated/c.txt", "generated/d.txt"];
let root: string;

/** A build that regenerates everything with the model (no cache), counting model loads. */
async function fullBuild(options: BuildOptions = {}) {
  const loads: string[] = [];
  const onEvent = (e: BuildEvent) => e.type === "model" && e.event.type === "loaded" && loads.push(e.event.file);
  const report = await build({ cwd: root, force: true, cache: false, onEvent, ...options });
  expect(report.prompts.map((p) => [p.prompt, p.outcome, p.error?.message])).toEqual(
    report.prompts.map((p) => [p.prompt, "built", undefined]),
  );
  return { report, loads, outputs: await readOutputs(root, OUTPUTS) };
}

const sha256 = async (file: string) =>
  `sha256:${createHash("sha256")
    .update(await readFile(path.join(root, file)))
    .digest("hex")}`;

beforeAll(async () => {
  root = (
    await tinyProject({
      "a.md": { seed: 42, output: "generated/a.txt" },
      "b.md": { seed: 43, output: "generated/b.txt" },
      "c.md": { seed: 42, output: "generated/c.txt", model: "gguf:models/other.gguf" },
      "d.md": { seed: 7, output: "generated/d.txt", body: "Something else entirely." },
    })
  ).root;
});

afterAll(() => removeProject(root));

describe("embedded builds", () => {
  let first: Awaited<ReturnType<typeof fullBuild>>;
  beforeAll(async () => {
    first = await fullBuild({ jobs: 1 });
  });
  /** A copy of the built project, for a test that changes it. */
  const ownCopy = async () => (await copyProject(root)).root;

  it("write the same bytes on every build, whatever -j, loading each model once per build", async () => {
    for (const text of Object.values(first.outputs)) expect(text.length).toBeGreaterThan(0);
    const again = await fullBuild({ jobs: 1 });
    const parallel = await fullBuild({ jobs: 4 });
    expect(again.outputs).toEqual(first.outputs);
    expect(parallel.outputs).toEqual(first.outputs);
    // Three prompts share models/tiny.gguf: one load for them, one for models/other.gguf.
    expect(parallel.loads.sort()).toEqual(["models/other.gguf", "models/tiny.gguf"]);
    expect(first.loads.sort()).toEqual(["models/other.gguf", "models/tiny.gguf"]);
  });

  it("write other bytes for another seed or another model", () => {
    const { outputs } = first;
    expect(outputs["generated/b.txt"]).not.toBe(outputs["generated/a.txt"]); // seed 43 vs 42
    expect(outputs["generated/c.txt"]).not.toBe(outputs["generated/a.txt"]); // other weights, same seed
  });

  it("record the model file's hash, the llama.cpp build, the context and the sampler in the lock", async () => {
    const entry = (await readLockJson(root)).prompts["prompts/a.md"]!;
    const modelHash = await sha256("models/tiny.gguf");
    expect(entry.inputs["models/tiny.gguf"]).toBe(modelHash);
    expect(entry).toMatchObject({ model: "gguf:models/tiny.gguf", seed: 42, temperature: 0.8, source: "llm" });
    expect(entry.sampling).toEqual({ ...NEUTRAL_SAMPLER, max_tokens: 200, stop: ["a", "e", "i", "o", "u", "s", "t"] });
    expect(entry.engine).toMatchObject({
      engine: "embedded",
      file: "models/tiny.gguf",
      fileHash: modelHash,
      contextSize: 4096,
      batchSize: 512,
    });
    expect(entry.engine!.llamaCppBuild).toMatch(/\S/);
    expect(entry.engine!.nodeLlamaCpp).toMatch(/^\d+\.\d+\.\d+/);
    expect(entry.outputs["generated/a.txt"]).toBe(await sha256("generated/a.txt"));
    expect(JSON.stringify(entry)).not.toContain(root); // no absolute paths
  });

  it("write the whole answer as the file with extract: raw", async () => {
    // The generation cache keeps the model's answer as it came: the file is that text, ending in a newline.
    const entry = (await readLockJson(root)).prompts["prompts/d.md"]!;
    const hex = entry.requestHash.slice("sha256:".length);
    const dir = path.join(root, ".pc/generations", hex.slice(0, 2), hex);
    const [name] = await readdir(dir);
    const generation = JSON.parse(await readFile(path.join(dir, name!), "utf8")) as { raw: string };
    expect(generation.raw.endsWith("\n")).toBe(false);
    expect(first.outputs["generated/d.txt"]).toBe(`${generation.raw}\n`);
    expect(generation.raw).not.toContain("```");
  });

  it("make a prompt stale when another model file replaces its model, and rebuild it to other bytes", async () => {
    const root = await ownCopy(); // this test's own: it rebuilds with other weights
    const sha256 = async (file: string) =>
      `sha256:${createHash("sha256")
        .update(await readFile(path.join(root, file)))
        .digest("hex")}`;
    await writeTinyModel(path.join(root, "models/tiny.gguf"), { seed: 3 });
    {
      const states = await status({ cwd: root });
      const byPrompt = Object.fromEntries(states.prompts.map((s) => [s.prompt, s]));
      for (const prompt of ["prompts/a.md", "prompts/b.md", "prompts/d.md"]) {
        expect(byPrompt[prompt]!.state).toBe("stale");
        expect(byPrompt[prompt]!.reasons.join("\n")).toMatch(
          /the model changed: models\/tiny\.gguf is another file now/,
        );
      }
      expect(byPrompt["prompts/c.md"]!.state).toBe("fresh"); // models/other.gguf did not change

      const report = await build({ cwd: root, cache: false });
      expect(
        report.prompts
          .filter((p) => p.outcome === "built")
          .map((p) => p.prompt)
          .sort(),
      ).toEqual(["prompts/a.md", "prompts/b.md", "prompts/d.md"]);
      expect((await readLockJson(root)).prompts["prompts/a.md"]!.inputs["models/tiny.gguf"]).toBe(
        await sha256("models/tiny.gguf"),
      );
      expect((await readOutputs(root, ["generated/a.txt"]))["generated/a.txt"]).not.toBe(
        first.outputs["generated/a.txt"],
      );
    }
  });

  it("fails a prompt whose answer has no code fence when it asks for the fenced extraction", async () => {
    const root = await ownCopy();
    await writeFile(
      path.join(root, "prompts/fenced.md"),
      tinyPrompt({ output: "generated/fenced.txt", extract: "fenced" }),
    );
    const report = await build({ cwd: root, paths: ["prompts/fenced.md"], cache: false });
    expect(report.prompts[0]).toMatchObject({ prompt: "prompts/fenced.md", outcome: "failed" });
    expect(report.prompts[0]!.error!.code).toBe("PC_ANSWER_NO_CODE");
  });
});
