import { createServer, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { defaultAnswer, startTestServer } from "../support/openai-server.js";
import { promptTokens, splitAnswer } from "../support/sse.js";
import { build } from "../../src/index.js";
import { makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { FAST_RETRY, withRetryPolicy, buildIn } from "../support/build.js";

const server = useTestServer({ flavor: "llama-server" });
afterAll(cleanupProjects);

describe("what a request carries", () => {
  it("sends every pin: model, seed, temperature, top_p, top_k, max_tokens, stop; never cached prompt state; streamed", async () => {
    const project = await makeProject({
      "prompts/p.md": promptFile({
        output: "generated/p.py",
        model: "qwen2.5-coder:7b",
        seed: 7,
        temperature: 0.2,
        top_p: 0.9,
        top_k: 20,
        max_tokens: 400,
        stop: ["<END>"],
        system: "Use type hints.",
        body: "Write p.",
      }),
    });
    const { report } = await buildIn(project, server);
    expect(report.ok).toBe(true);
    const [request] = server.chatRequests();
    expect(request!.body).toMatchObject({
      model: "qwen2.5-coder:7b",
      seed: 7,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 20,
      max_tokens: 400,
      stop: ["<END>"],
      cache_prompt: false,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(request!.body.messages.map((m) => m.role)).toEqual(["system", "user"]);
    expect(request!.body.messages[0]!.content).toContain("Use type hints.");
    expect(request!.body.messages[1]!.content).toContain("Write p.");
    // No API key configured: nothing secret is invented either.
    expect(request!.headers.authorization).toBe("Bearer no-key");
  });

  it("llama-server: every sampler of its /props, neutral where unpinned, in llama.cpp's order; unpinned limits left out", async () => {
    const project = await makeProject({
      "prompts/p.md": promptFile({
        output: "generated/p.py",
        seed: 0,
        temperature: 0,
        min_p: 0.05,
        repeat_penalty: 1.1,
      }),
    });
    await buildIn(project, server);
    const body = server.chatRequests()[0]!.body as unknown as Record<string, unknown>;
    expect(body).toMatchObject({
      // top_k off is sent as "every token": it sorts them as the embedded engine does (see engine/samplers.ts).
      seed: 0,
      temperature: 0,
      top_p: 1,
      top_k: 2147483647,
      min_p: 0.05,
      typical_p: 1,
      repeat_penalty: 1.1,
      repeat_last_n: 64,
      presence_penalty: 0,
      frequency_penalty: 0,
      mirostat: 0,
      dry_multiplier: 0,
      xtc_probability: 0,
      top_n_sigma: -1,
      dynatemp_range: 0,
      cache_prompt: false,
      samplers: ["penalties", "dry", "top_n_sigma", "top_k", "typ_p", "top_p", "min_p", "xtc", "temperature"],
    });
    expect(body).not.toHaveProperty("max_tokens");
    expect(body).not.toHaveProperty("stop");
    expect(body).not.toHaveProperty("chat_template_kwargs");
    // The lock records the whole sampler, so a change of any of it is a visible reason.
    const entry = (await project.lock()).prompts["prompts/p.md"]!;
    expect(entry.sampling).toMatchObject({ top_k: 0, min_p: 0.05, repeat_penalty: 1.1, top_n_sigma: -1 });
  });

  it("think: chat_template_kwargs.enable_thinking for llama-server, part of the request hash", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py", think: false }) });
    await buildIn(project, server);
    expect(server.chatRequests()[0]!.body).toMatchObject({ chat_template_kwargs: { enable_thinking: false } });
    const before = (await project.lock()).prompts["prompts/p.md"]!.requestHash;
    await project.write({ "prompts/p.md": promptFile({ output: "generated/p.py", think: "high" }) });
    await buildIn(project, server);
    expect(server.chatRequests()[1]!.body).toMatchObject({
      chat_template_kwargs: { enable_thinking: true, reasoning_effort: "high" },
    });
    expect((await project.lock()).prompts["prompts/p.md"]!.requestHash).not.toBe(before);
  });

  it("sends PC_API_KEY as a bearer token and never writes it anywhere", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const saved = process.env.PC_API_KEY;
    process.env.PC_API_KEY = "sk-secret-123";
    try {
      await buildIn(project, server);
    } finally {
      if (saved === undefined) delete process.env.PC_API_KEY;
      else process.env.PC_API_KEY = saved;
    }
    expect(server.chatRequests()[0]!.headers.authorization).toBe("Bearer sk-secret-123");
    expect(JSON.stringify(await project.snapshot())).not.toContain("sk-secret-123");
  });
});

describe("what the lock records", () => {
  it("llama-server: response model, system_fingerprint, /props model file and build_info; source, usage, duration", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const { report } = await buildIn(project, server);
    const entry = (await project.lock()).prompts["prompts/p.md"]!;
    expect(entry.engine).toEqual({
      engine: "openai",
      model: "test-model",
      systemFingerprint: "b1234-abcdef",
      modelFile: "test-model.gguf",
      buildInfo: "b1234-abcdef",
    });
    expect(entry.source).toBe("llm");
    expect(entry).toMatchObject({ model: "test-model", seed: 42, temperature: 0, sampling: { top_p: 1 } });
    // The figures the server counted and sent in its usage chunk.
    const body = server.chatRequests()[0]!.body;
    expect(entry.usage).toEqual({
      promptTokens: promptTokens(body),
      completionTokens: splitAnswer(defaultAnswer(body)).length,
    });
    expect(entry.usage).toEqual(report.prompts[0]!.usage);
    expect(report.totals.completionTokens).toBe(entry.usage.completionTokens);
    expect(Number.isInteger(entry.durationMs)).toBe(true);
    // The server reports an absolute model path; the lock keeps only the file name.
    expect(JSON.stringify(entry)).not.toContain("/models/");
  });

  it("Ollama (native API): the model's digest from /api/tags", async () => {
    const ollama = await startTestServer({ flavor: "ollama", models: ["qwen2.5-coder:7b"] });
    try {
      const project = await makeProject({
        "prompts/p.md": promptFile({ output: "generated/p.py", model: "qwen2.5-coder:7b" }),
      });
      const { report } = await buildIn(project, ollama);
      expect(report.ok).toBe(true);
      const entry = (await project.lock()).prompts["prompts/p.md"]!;
      expect(entry.engine).toEqual({
        engine: "openai",
        model: "qwen2.5-coder:7b",
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      const tags = (await (await fetch(`${ollama.url}/api/tags`)).json()) as { models: Array<{ digest: string }> };
      expect(entry.engine.digest).toBe(tags.models[0]!.digest);
    } finally {
      await ollama.close();
    }
  });

  it("a plain OpenAI-compatible server: what the response says, nothing invented", async () => {
    const plain = await startTestServer({ flavor: "plain" });
    try {
      const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
      await buildIn(project, plain);
      expect((await project.lock()).prompts["prompts/p.md"]!.engine).toEqual({
        engine: "openai",
        model: "test-model",
        systemFingerprint: "fp_test",
      });
    } finally {
      await plain.close();
    }
  });

  it("asks /props again when it answered 503 while the model was loading", async () => {
    // A proxy in front of the test server: /props answers 503 (as llama-server does while loading) once.
    let loading = 1;
    const proxy = createServer((req, res) => {
      if (req.url === "/props" && loading-- > 0) {
        res
          .writeHead(503, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { code: 503, message: "Loading model", type: "unavailable_error" } }));
        return;
      }
      const upstream = httpRequest(
        `${server.url}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers);
          answer.pipe(res);
        },
      );
      // A client that gives up (a probe's own timeout) must not crash the test process.
      upstream.on("error", () => res.destroy());
      res.on("error", () => upstream.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      server.fail({ status: 503, retryAfter: 0 });
      const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
      const report = await build({
        cwd: project.root,
        baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/v1`,
        engineFactory: withRetryPolicy(FAST_RETRY),
      });
      expect(report.ok).toBe(true);
      expect((await project.lock()).prompts["prompts/p.md"]!.engine).toMatchObject({
        modelFile: "test-model.gguf",
        buildInfo: "b1234-abcdef",
      });
    } finally {
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("asks the server for its identity once per build, not once per prompt", async () => {
    const files: Record<string, string> = {};
    for (const name of ["a", "b", "c"])
      files[`prompts/${name}.md`] = promptFile({ output: `generated/${name}.py`, body: `Write ${name}.` });
    const project = await makeProject(files);
    await buildIn(project, server);
    expect(server.requests.filter((r) => r.path === "/props")).toHaveLength(1);
    expect(server.chatRequests()).toHaveLength(3);
  });
});
