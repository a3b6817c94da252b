// pc against the real llama.cpp server (../shared/tools/llama-server) with a tiny model the test
// writes: build, no-op, revert, verify, doctor, servers started with other defaults, a server killed
// mid-answer or restarted between builds, parallel slots, and the embedded engine's bytes.
import path from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { build, doctor, verify, type BuildOptions } from "../../src/index.js";
import { FAST_RETRY, outcomes, withRetryPolicy } from "../support/build.js";
import {
  describeWithLlamaServer,
  startLlamaServer,
  type LlamaServer,
  type LlamaServerOptions,
} from "../support/llama-server.js";
import { cleanupProjects, makeProject, tempFiles, type TempProject } from "../support/project.js";
import { CHATML_TEMPLATE, tinyModelBytes } from "../support/tiny-gguf.js";

const MODEL = tinyModelBytes({ asciiOnly: true, chatTemplate: CHATML_TEMPLATE });
const servers: LlamaServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await cleanupProjects();
});

/** A prompt whose whole answer is the file: the tiny model writes meaningless ASCII. */
function prompt(model: string, seed: number, output: string): string {
  return `---\nversion: 1\nmodel: ${model}\nseed: ${seed}\ntemperature: 1\nmax_tokens: 3000\nextract: raw\nformat: false\noutput: ${output}\n---\nWrite ${output}.\n`;
}

/** A project with the model in models/m.gguf and one prompt per seed, all served as `model`. */
async function project(seeds: number[], model = "m"): Promise<TempProject> {
  const files: Record<string, string | Uint8Array> = { "models/m.gguf": MODEL };
  for (const seed of seeds) files[`prompts/p${seed}.md`] = prompt(model, seed, `out/p${seed}.txt`);
  return makeProject(files);
}

async function serve(options: Partial<LlamaServerOptions> & { cwd: string }): Promise<LlamaServer> {
  const server = await startLlamaServer({ model: "models/m.gguf", ...options });
  servers.push(server);
  return server;
}

const buildOn = (p: TempProject, server: LlamaServer, options: BuildOptions = {}) =>
  build({
    cwd: p.root,
    baseUrl: server.baseURL,
    engineFactory: withRetryPolicy({ ...FAST_RETRY, retries: 1 }),
    ...options,
  });

async function outputs(p: TempProject, seeds: number[]): Promise<string[]> {
  return Promise.all(seeds.map((seed) => p.read(`out/p${seed}.txt`)));
}

// Several servers and an embedded model load per test: generous time on a loaded machine (nothing is timed).
vi.setConfig({ testTimeout: 180_000, hookTimeout: 120_000 });

describeWithLlamaServer("pc against the real llama-server", () => {
  let main: TempProject;
  let server: LlamaServer;
  beforeAll(async () => {
    main = await project([1, 2, 3]);
    // Started the way people start it: from the project, with a relative model path.
    server = await serve({ cwd: main.root });
  });

  it("builds, then a second build is a no-op, and a reverted prompt comes back from the cache", async () => {
    // A project of its own, never built by another test (the tests run in any order); the same
    // model file, so the server started from the shared project serves it.
    const own = await project([1, 2, 3]);
    const first = await buildOn(own, server);
    expect(first.ok).toBe(true);
    expect(Object.values(outcomes(first))).toEqual(["built", "built", "built"]);
    const entry = (await own.lock()).prompts["prompts/p1.md"]!;
    // The model as the server names it, without the path it was started with.
    expect(entry.engine).toMatchObject({
      engine: "openai",
      model: "m.gguf",
      modelFile: "m.gguf",
      modelSize: expect.any(Number),
      buildInfo: expect.stringMatching(/\S/),
    });
    expect(entry.sampling).toMatchObject({ top_k: 0, min_p: 0, repeat_penalty: 1, typical_p: 1 });

    const again = await buildOn(own, server);
    expect(Object.values(outcomes(again))).toEqual(["fresh", "fresh", "fresh"]);

    const before = await own.read("out/p1.txt");
    const original = await own.read("prompts/p1.md");
    await own.write({ "prompts/p1.md": original.replace("seed: 1\n", "seed: 11\n") });
    expect(outcomes(await buildOn(own, server))["prompts/p1.md"]).toBe("built");
    expect(await own.read("out/p1.txt")).not.toBe(before);
    await own.write({ "prompts/p1.md": original });
    expect(outcomes(await buildOn(own, server))["prompts/p1.md"]).toBe("cached");
    expect(await own.read("out/p1.txt")).toBe(before);
  });

  it("verifies on the same server, and on one started with the model's absolute path (the same engine)", async () => {
    await buildOn(main, server);
    const same = await verify({ cwd: main.root, baseUrl: server.baseURL });
    expect(same.totals).toMatchObject({ reproducible: 3, differs: 0 });
    const absolute = await serve({ cwd: "/", model: path.join(main.root, "models/m.gguf") });
    const elsewhere = await verify({ cwd: main.root, baseUrl: absolute.baseURL });
    expect(elsewhere.totals).toMatchObject({ reproducible: 3, differs: 0 });
    // The identity a build records there is the one recorded here.
    const other = await project([1]);
    await buildOn(other, absolute);
    const { durationMs: _a, usage: _b, ...here } = (await main.lock()).prompts["prompts/p1.md"]!;
    const { durationMs: _c, usage: _d, ...there } = (await other.lock()).prompts["prompts/p1.md"]!;
    expect(there.engine).toEqual(here.engine);
    expect(there.outputs).toEqual(here.outputs);
    await absolute.stop();
  });

  it("gives the same bytes on a server started with other default samplers (--top-k 3 --min-p 0.2 --repeat-penalty 1.3)", async () => {
    await buildOn(main, server);
    const other = await serve({ cwd: main.root, args: ["--top-k", "3", "--min-p", "0.2", "--repeat-penalty", "1.3"] });
    // What pc sent before it pinned every sampler (seed, temperature, top_p): the two servers disagree.
    const ask = async (s: LlamaServer) => {
      const body = {
        messages: [{ role: "user", content: "Write." }],
        seed: 5,
        temperature: 1,
        top_p: 1,
        max_tokens: 40,
        cache_prompt: false,
      };
      const response = await fetch(`${s.baseURL}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return ((await response.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]!.message
        .content;
    };
    expect(await ask(other)).not.toBe(await ask(server));
    // pc's requests carry the whole chain: the recorded bytes regenerate on the other server.
    const report = await verify({ cwd: main.root, baseUrl: other.baseURL });
    expect(report.totals).toMatchObject({ reproducible: 3, differs: 0 });
    await other.stop();
  });

  it("doctor: one slot and the samplers pc overrides; more slots are a warning", async () => {
    const one = await doctor({ cwd: main.root, baseUrl: server.baseURL });
    const find = (report: typeof one, check: string) => report.findings.find((f) => f.check === check);
    expect(find(one, "engine.reachable")).toMatchObject({
      level: "ok",
      what: expect.stringContaining("llama-server b1-"),
    });
    expect(find(one, "engine.slots")).toMatchObject({ level: "ok" });
    expect(find(one, "engine.samplers")).toMatchObject({ level: "ok", what: expect.stringContaining("top_k=40") });
    const four = await serve({ cwd: main.root, parallel: 4 });
    const report = await doctor({ cwd: main.root, baseUrl: four.baseURL });
    expect(find(report, "engine.slots")).toMatchObject({ level: "warn", what: expect.stringContaining("4 slots") });
    await four.stop();
  });

  it("a server killed mid-answer fails the prompt and changes nothing; the next build after a restart makes the same bytes", async () => {
    const p = await project([1]);
    const reference = await project([1]);
    let victim = await serve({ cwd: p.root });
    let killed = false;
    const report = await buildOn(p, victim, {
      onEvent: (event) => {
        if (event.type === "progress" && !killed) {
          killed = true;
          void victim.kill();
        }
      },
    });
    expect(killed).toBe(true);
    expect(report.ok).toBe(false);
    expect(report.prompts[0]!.error!.code).toMatch(/PC_ENGINE_(ERROR|UNREACHABLE)/);
    expect(p.exists("out/p1.txt")).toBe(false);
    expect(p.exists("promptfile.lock")).toBe(false);
    expect(await tempFiles(p.root)).toEqual([]);

    // Restarted (another process, another port): the build goes through.
    victim = await serve({ cwd: p.root });
    expect((await buildOn(p, victim)).ok).toBe(true);
    expect((await buildOn(reference, server)).ok).toBe(true);
    expect(await p.read("out/p1.txt")).toBe(await reference.read("out/p1.txt"));
    await victim.stop();
  });

  it("a server restarted between builds: the next build is a no-op, and verify finds the same bytes", async () => {
    const p = await project([4, 5]);
    const first = await serve({ cwd: p.root });
    await buildOn(p, first);
    await first.stop();
    const second = await serve({ cwd: p.root });
    expect(Object.values(outcomes(await buildOn(p, second)))).toEqual(["fresh", "fresh"]);
    expect((await verify({ cwd: p.root, baseUrl: second.baseURL })).totals).toMatchObject({ reproducible: 2 });
    await second.stop();
  });

  it("--parallel 4 with -j 4 builds everything; where bytes differ from one slot, verify names the slots", async () => {
    const seeds = [1, 2, 3, 4, 5, 6, 7, 8];
    const p = await project(seeds);
    const four = await serve({ cwd: p.root, parallel: 4 });
    const report = await buildOn(p, four, { jobs: 4 });
    expect(report.ok).toBe(true);
    await four.stop();
    // One slot, one prompt at a time: any difference is the batching of the parallel build.
    const checked = await verify({ cwd: p.root, baseUrl: server.baseURL });
    for (const result of checked.prompts) {
      expect(["reproducible", "differs"]).toContain(result.outcome);
      if (result.outcome === "differs") expect(result.hints.join("\n")).toContain("parallel slots");
    }
  });

  it("the embedded engine and llama-server (-fa off) give the same bytes for the same model, seed and samplers", async () => {
    const seeds = [1, 2, 3];
    const served = await project(seeds);
    const embedded = await project(seeds, "gguf:models/m.gguf");
    const noFlash = await serve({ cwd: served.root, args: ["-fa", "off"] });
    expect((await buildOn(served, noFlash)).ok).toBe(true);
    expect((await build({ cwd: embedded.root, threads: 1 })).ok).toBe(true);
    expect(await outputs(embedded, seeds)).toEqual(await outputs(served, seeds));
    await noFlash.stop();
  });
});
