import { createServer } from "node:net";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer } from "../support/openai-server.js";
import { writeTinyModel } from "../support/tiny-gguf.js";
import { runPc } from "../support/pc.js";
import { removeProject, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { closedPort, testServer } from "../support/test-server.js";

interface Finding {
  level: "ok" | "warn" | "error";
  check: string;
  subject: string | null;
  what: string;
  fix: string | null;
}

const roots: string[] = [];

async function project(files: Record<string, string>): Promise<string> {
  const root = (await makeProject(files, "pc-doctor-")).root;
  roots.push(root);
  return root;
}

const server = testServer;

async function doctor(root: string, baseURL: string, env: Record<string, string> = {}) {
  const run = await runPc(["doctor", "--json", "--base-url", baseURL], { cwd: root, env: { ...env } });
  const report = JSON.parse(run.stdout) as { ok: boolean; findings: Finding[] };
  const find = (check: string, subject?: string) =>
    report.findings.filter((f) => f.check === check && (subject === undefined || f.subject === subject));
  return { run, report, find };
}

/** A base URL where nothing listens: a port that was just free. */
async function closedPortURL(): Promise<string> {
  return `http://127.0.0.1:${await closedPort()}/v1`;
}

afterAll(async () => {
  for (const r of roots) await removeProject(r);
});

describe("pc doctor against llama-server", () => {
  let root: string;
  beforeAll(async () => {
    root = await project({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
  });

  it("warns about several slots and prompt caching, which break determinism, without failing", async () => {
    const llama = await server({ flavor: "llama-server", slots: 4, promptCache: true, models: ["test-model"] });
    const { run, report, find } = await doctor(root, llama.baseURL);
    expect(run.code).toBe(0);
    expect(report.ok).toBe(true);
    expect(find("engine.reachable")[0]).toMatchObject({
      level: "ok",
      what: expect.stringContaining("llama-server b1234-abcdef"),
    });
    expect(find("engine.model", "test-model")[0].level).toBe("ok");
    const [slots] = find("engine.slots");
    expect(slots).toMatchObject({
      level: "warn",
      what: expect.stringContaining("4 slots"),
      fix: expect.stringContaining("--parallel 1"),
    });
    const [cache] = find("engine.prompt-cache");
    expect(cache).toMatchObject({ level: "warn", fix: expect.stringContaining("--no-cache-prompt") });

    const human = await runPc(["doctor", "--base-url", llama.baseURL], { cwd: root });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain("! llama-server runs 4 slots");
    expect(human.stdout).toContain("fix: Restart llama-server with --parallel 1");
    expect(human.stdout).toContain("2 warnings; nothing blocks a build.");
  });

  it("passes one slot with prompt caching off", async () => {
    const llama = await server({ flavor: "llama-server", slots: 1, promptCache: false });
    const { run, find } = await doctor(root, llama.baseURL);
    expect(run.code).toBe(0);
    expect(find("engine.slots")[0]).toMatchObject({ level: "ok", what: expect.stringContaining("one slot") });
    expect(find("engine.prompt-cache")[0].level).toBe("ok");
  });
});

describe("pc doctor against Ollama", () => {
  it("fails when a pinned model is not pulled, and says which command pulls it", async () => {
    const root = await project({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      "prompts/b.md": promptFile({ output: "generated/b.py", model: "qwen2.5-coder:7b" }),
    });
    const ollama = await server({ flavor: "ollama", models: ["test-model"] });
    const { run, report, find } = await doctor(root, ollama.baseURL);
    expect(run.code).toBe(1);
    expect(report.ok).toBe(false);
    expect(find("engine.reachable")[0].what).toContain("Ollama 0.5.7");
    expect(find("engine.model", "test-model")[0].level).toBe("ok");
    expect(find("engine.model", "qwen2.5-coder:7b")[0]).toMatchObject({
      level: "error",
      what: expect.stringContaining("used by prompts/b.md"),
      fix: "ollama pull qwen2.5-coder:7b",
    });
    expect(find("engine.slots")).toEqual([]); // Ollama does not report slots
  });
});

describe("pc doctor with the server down", () => {
  it("is an error while a prompt needs building, and a warning once every prompt is fresh", async () => {
    const root = await project({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
    const down = await closedPortURL();
    const before = await doctor(root, down);
    expect(before.run.code).toBe(1);
    expect(before.find("engine.reachable")[0]).toMatchObject({
      level: "error",
      what: expect.stringContaining(`cannot reach ${down} (ECONNREFUSED)`),
      fix: expect.stringContaining("--base-url"),
    });
    expect(before.find("engine.model")).toEqual([]);

    const llama = await server({});
    expect((await runPc(["build", "--base-url", llama.baseURL], { cwd: root })).code).toBe(0);
    const after = await doctor(root, down);
    expect(after.run.code).toBe(0);
    expect(after.find("engine.reachable")[0]).toMatchObject({
      level: "warn",
      what: expect.stringContaining("does not need it now"),
    });
  });
});

describe("pc doctor on the project", () => {
  it("reports a broken lock, invalid prompts and orphaned outputs", async () => {
    const root = await project({
      "prompts/a.md": promptFile({ output: "generated/a.py", temprature: 0.2 }),
      "promptfile.lock": '{\n<<<<<<< HEAD\n  "lockfileVersion": 1\n=======\n>>>>>>> other\n}\n',
    });
    const llama = await server({});
    const broken = await doctor(root, llama.baseURL);
    expect(broken.run.code).toBe(1);
    expect(broken.find("lock")[0]).toMatchObject({
      level: "error",
      what: expect.stringContaining("promptfile.lock:2: has unresolved git conflict markers"),
    });
    expect(broken.find("prompt", "prompts/a.md")[0]).toMatchObject({
      level: "error",
      what: expect.stringContaining('unknown key "temprature"'),
    });

    await writeFile(path.join(root, "prompts/a.md"), promptFile({ output: "generated/a.py" }));
    await writeFile(path.join(root, "prompts/gone.md"), promptFile({ output: "generated/gone.py" }));
    await rm(path.join(root, "promptfile.lock"));
    expect((await runPc(["build", "--base-url", llama.baseURL], { cwd: root })).code).toBe(0);
    await rm(path.join(root, "prompts/gone.md"));
    const orphaned = await doctor(root, llama.baseURL);
    expect(orphaned.run.code).toBe(0);
    expect(orphaned.find("lock")[0].level).toBe("ok");
    expect(orphaned.find("orphan", "prompts/gone.md")[0]).toMatchObject({
      level: "warn",
      what: expect.stringContaining("generated/gone.py"),
      fix: expect.stringContaining("`pc build` drops its entry from promptfile.lock"),
    });
  });
});

describe("pc doctor with embedded models", () => {
  it("loads each pinned GGUF with node-llama-cpp, and tells a missing or broken one from an hf: model not downloaded yet", async () => {
    const root = await project({
      "prompts/tiny.md": promptFile({ output: "generated/tiny.txt", model: "gguf:models/tiny.gguf", extract: "raw" }),
      "prompts/garbage.md": promptFile({
        output: "generated/garbage.txt",
        model: "gguf:models/garbage.gguf",
        extract: "raw",
      }),
      "prompts/hub.md": promptFile({
        output: "generated/hub.txt",
        model: "hf:someone/repo/model-q4.gguf",
        extract: "raw",
      }),
      "models/garbage.gguf": "this is not a model\n",
    });
    await mkdir(path.join(root, "home"));
    await writeTinyModel(path.join(root, "models/tiny.gguf"), { seed: 1 });
    // An empty home: the hf: model is not in node-llama-cpp's cache, and the hub (HF_ENDPOINT) cannot be reached.
    const hub = `${(await closedPortURL()).replace(/\/v1$/, "")}/`;
    const { run, find } = await doctor(root, "http://127.0.0.1:1/v1", {
      HOME: path.join(root, "home"),
      HF_ENDPOINT: hub,
    });
    expect(run.code).toBe(1);
    expect(find("embedded.runtime")[0]).toMatchObject({ level: "ok", what: expect.stringContaining("node-llama-cpp") });
    expect(find("embedded.model", "gguf:models/tiny.gguf")[0]).toMatchObject({
      level: "ok",
      what: expect.stringContaining("loads (0.5 MB"),
    });
    expect(find("embedded.model", "gguf:models/garbage.gguf")[0]).toMatchObject({
      level: "error",
      what: expect.stringContaining("is not a GGUF model file"),
    });
    expect(find("embedded.model", "hf:someone/repo/model-q4.gguf")[0]).toMatchObject({
      level: "error",
      what: expect.stringContaining("is not downloaded yet, and a build would fail: cannot connect to"),
    });
    expect(find("engine.reachable")).toEqual([]); // no served model: the server is not checked
  });
});
