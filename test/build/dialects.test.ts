// Each server's dialect, found once per build: what pc sends to Ollama (native API), vLLM and a
// plain OpenAI-compatible server. The in-process test server answers in their wire formats (from
// their API references); the real llama-server is met in test/real-server/.
import { afterAll, describe, expect, it } from "vitest";
import { startTestServer, type TestServer, type TestServerOptions } from "../support/openai-server.js";
import { cleanupProjects, makeProject, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { doctor } from "../../src/index.js";
import { buildIn } from "../support/build.js";

afterAll(cleanupProjects);

async function withServer(options: TestServerOptions, run: (server: TestServer) => Promise<void>): Promise<void> {
  const server = await startTestServer(options);
  try {
    await run(server);
  } finally {
    await server.close();
  }
}

const onePrompt = (pins: Record<string, unknown> = {}, body?: string): Promise<TempProject> =>
  makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py", model: "qwen2.5-coder:7b", ...pins, body }) });

describe("Ollama", () => {
  it("gets every option through its native /api/chat (its /v1 endpoint ignores most), num_ctx and think included", async () => {
    await withServer({ flavor: "ollama", models: ["qwen2.5-coder:7b"] }, async (ollama) => {
      const project = await onePrompt({
        seed: 3,
        temperature: 0.5,
        top_k: 20,
        min_p: 0.1,
        think: false,
        max_tokens: 300,
      });
      const { report } = await buildIn(project, ollama);
      expect(report.ok).toBe(true);
      const paths = ollama.requests.map((r) => `${r.method} ${r.path}`);
      expect(paths).toContain("POST /api/chat");
      expect(paths).not.toContain("POST /v1/chat/completions");
      const body = ollama.chatRequests()[0]!.body as unknown as Record<string, unknown>;
      expect(body).toMatchObject({ model: "qwen2.5-coder:7b", stream: true, think: false });
      expect(body.options).toEqual({
        seed: 3,
        temperature: 0.5,
        top_p: 1,
        top_k: 20,
        min_p: 0.1,
        typical_p: 1,
        repeat_penalty: 1,
        repeat_last_n: 64,
        presence_penalty: 0,
        frequency_penalty: 0,
        mirostat: 0,
        mirostat_tau: 5,
        mirostat_eta: 0.1,
        num_ctx: 8192,
        num_predict: 300,
      });
      expect(await project.read("generated/p.py")).toContain("# model qwen2.5-coder:7b");
    });
  });

  it("fails clearly instead of building from a prompt Ollama cut to fit num_ctx; nothing is written", async () => {
    await withServer({ flavor: "ollama", models: ["qwen2.5-coder:7b"] }, async (ollama) => {
      const project = await onePrompt(
        { num_ctx: 256 },
        `Write p.\n\n${"All the details the model needs. ".repeat(200)}`,
      );
      const { report } = await buildIn(project, ollama);
      const error = report.prompts[0]!.error!;
      expect(error.code).toBe("PC_CONTEXT_EXCEEDED");
      expect(error.message).toContain("num_ctx 256");
      expect(error.hint).toContain("num_ctx: 512");
      expect(await project.exists("generated/p.py")).toBe(false);
      expect(ollama.chatRequests()).toHaveLength(1); // not retried: the same request would be cut again
    });
  });

  it("a sampler Ollama has no option for is refused before any request, naming the key", async () => {
    await withServer({ flavor: "ollama", models: ["qwen2.5-coder:7b"] }, async (ollama) => {
      const project = await onePrompt({ dry_multiplier: 0.8 });
      const { report } = await buildIn(project, ollama);
      expect(report.prompts[0]!.error).toMatchObject({ code: "PC_SAMPLER_UNSUPPORTED", key: "dry_multiplier" });
      expect(report.prompts[0]!.error!.message).toContain("Ollama cannot set");
      expect(ollama.chatRequests()).toHaveLength(0);
    });
  });
});

describe("vLLM", () => {
  it("gets its extra sampling parameters (repetition_penalty, top_k -1 for off, min_p) and think as chat_template_kwargs", async () => {
    await withServer({ flavor: "vllm" }, async (vllm) => {
      const project = await onePrompt({ repeat_penalty: 1.05, think: true });
      await buildIn(project, vllm);
      const body = vllm.chatRequests()[0]!.body as unknown as Record<string, unknown>;
      expect(body).toMatchObject({
        top_p: 1,
        top_k: -1,
        min_p: 0,
        repetition_penalty: 1.05,
        presence_penalty: 0,
        frequency_penalty: 0,
        chat_template_kwargs: { enable_thinking: true },
      });
      expect(body).not.toHaveProperty("repeat_penalty");
      expect(body).not.toHaveProperty("cache_prompt");
    });
  });
});

describe("a plain OpenAI-compatible server", () => {
  it("that rejects unknown fields gets the standard set only, and builds", async () => {
    await withServer({ flavor: "plain", strict: true }, async (plain) => {
      const project = await onePrompt();
      const { report } = await buildIn(project, plain);
      expect(report.ok).toBe(true);
      const body = plain.chatRequests()[0]!.body as unknown as Record<string, unknown>;
      expect(Object.keys(body).sort()).toEqual([
        "frequency_penalty",
        "messages",
        "model",
        "presence_penalty",
        "seed",
        "stream",
        "stream_options",
        "temperature",
        "top_p",
      ]);
    });
  });

  it("is named by pc doctor as leaving samplers to the server's defaults", async () => {
    await withServer({ flavor: "plain", strict: true }, async (plain) => {
      const project = await onePrompt();
      const report = await doctor({ cwd: project.root, baseUrl: plain.baseURL });
      const finding = report.findings.find((f) => f.check === "engine.samplers")!;
      expect(finding.level).toBe("warn");
      expect(finding.what).toContain("top_k, min_p");
    });
  });

  it("is asked which server it is once per build, not once per prompt", async () => {
    await withServer({ flavor: "plain" }, async (plain) => {
      const files: Record<string, string> = {};
      for (const name of ["a", "b", "c"])
        files[`prompts/${name}.md`] = promptFile({ output: `generated/${name}.py`, body: `Write ${name}.` });
      const project = await makeProject(files);
      await buildIn(project, plain);
      for (const probe of ["/props", "/api/version", "/version"])
        expect(plain.requests.filter((r) => r.path === probe)).toHaveLength(1);
      expect(plain.chatRequests()).toHaveLength(3);
    });
  });
});
