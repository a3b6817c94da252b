import OpenAI, { APIConnectionError, APIError } from "openai";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type ChatCompletionBody,
  type TestServer,
  fencedAnswer,
  multiFileAnswer,
  startTestServer,
} from "./openai-server.js";
import { useTestServer } from "./test-server.js";

const messages = [
  { role: "system" as const, content: "You write code." },
  { role: "user" as const, content: "Write generated/fib.py that prints Fibonacci numbers." },
];

function clientFor(server: TestServer, options: { maxRetries?: number } = {}): OpenAI {
  return new OpenAI({ baseURL: server.baseURL, apiKey: "sk-test", maxRetries: options.maxRetries ?? 0 });
}

async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
  const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
  const finish = chunks.map((chunk) => chunk.choices[0]?.finish_reason).find(Boolean);
  return { chunks, text, finish, usage: chunks.find((chunk) => chunk.usage)?.usage };
}

describe("openai test server, default flavor", () => {
  const server = useTestServer();
  let client: OpenAI;
  beforeAll(() => {
    client = clientFor(server);
  });

  it("streams the answer in several chunks with usage, and the same text as a non-streamed request", async () => {
    const stream = await client.chat.completions.create({
      model: "qwen2.5-coder:7b",
      messages,
      seed: 42,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    const streamed = await collect(stream);
    expect(streamed.chunks.filter((chunk) => chunk.choices[0]?.delta.content).length).toBeGreaterThan(3);
    expect(streamed.chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    expect(streamed.finish).toBe("stop");
    expect(streamed.text).toMatch(
      /^Here is the file\.\n\n```python\n# answer [0-9a-f]{16}\n# model qwen2.5-coder:7b seed 42 temperature 0\n```\n$/,
    );
    expect(streamed.usage?.total_tokens).toBe(
      (streamed.usage?.prompt_tokens ?? 0) + (streamed.usage?.completion_tokens ?? 0),
    );
    expect(streamed.usage?.completion_tokens).toBeGreaterThan(0);

    const whole = await client.chat.completions.create({
      model: "qwen2.5-coder:7b",
      messages,
      seed: 42,
      temperature: 0,
    });
    expect(whole.object).toBe("chat.completion");
    expect(whole.choices[0]?.message.content).toBe(streamed.text);
    expect(whole.choices[0]?.finish_reason).toBe("stop");
    expect(whole.usage?.completion_tokens).toBe(streamed.usage?.completion_tokens);
  });

  it("ends the stream with [DONE] after the usage chunk on the wire", async () => {
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ model: "m", messages, stream: true, stream_options: { include_usage: true } }),
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream");
    const events = (await response.text()).split("\n\n").filter(Boolean);
    expect(events.at(-1)).toBe("data: [DONE]");
    const usage = JSON.parse(events.at(-2)!.slice("data: ".length));
    expect(usage.choices).toEqual([]);
    expect(usage.usage.prompt_tokens).toBeGreaterThan(0);
    const finish = JSON.parse(events.at(-3)!.slice("data: ".length));
    expect(finish).toMatchObject({ object: "chat.completion.chunk", system_fingerprint: "b1234-abcdef" });
    expect(finish.choices[0]).toEqual({ index: 0, delta: {}, finish_reason: "stop" });
  });

  it("answers the same request with the same bytes and a different seed or temperature differently", async () => {
    const ask = async (seed: number, temperature: number) =>
      (await client.chat.completions.create({ model: "m", messages, seed, temperature })).choices[0]?.message.content;
    expect(await ask(1, 0)).toBe(await ask(1, 0));
    expect(await ask(1, 0)).not.toBe(await ask(2, 0));
    expect(await ask(1, 0)).not.toBe(await ask(1, 0.5));
  });

  it("records chat requests with their body, pins and headers", async () => {
    await client.chat.completions.create({ model: "m", messages, seed: 7, temperature: 0.2 });
    await client.models.list();
    const [chat] = server.chatRequests();
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "POST /v1/chat/completions",
      "GET /v1/models",
    ]);
    expect(chat).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions",
      index: 0,
      body: { seed: 7, temperature: 0.2 },
    });
    expect(chat?.body.messages).toEqual(messages);
    expect(chat?.headers.authorization).toBe("Bearer sk-test");
    expect(chat?.receivedAt).toBeGreaterThan(0);
  });

  it("gives a 429 with a Retry-After header the client can see, once", async () => {
    server.fail({ status: 429, retryAfter: 7 });
    const error = await client.chat.completions.create({ model: "m", messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(429);
    expect((error as APIError).headers?.get("retry-after")).toBe("7");
    await expect(client.chat.completions.create({ model: "m", messages })).resolves.toBeDefined();
  });

  it("lets a retrying client through after the queued faults are used up", async () => {
    server.fail({ status: 429, retryAfter: 0 }, { times: 2 });
    const retrying = clientFor(server, { maxRetries: 2 });
    const completion = await retrying.chat.completions.create({ model: "m", messages });
    expect(completion.choices[0]?.message.content).toContain("```python");
    expect(server.chatRequests().map((r) => (r.fault && "status" in r.fault ? r.fault.status : "ok"))).toEqual([
      429,
      429,
      "ok",
    ]);
  });

  it("sends llama-server's bodies for a context overflow and a loading model", async () => {
    server.fail({ status: 400 });
    server.fail({ status: 503 });
    const overflow = (await client.chat.completions
      .create({ model: "m", messages })
      .catch((e: unknown) => e)) as APIError;
    expect(overflow.status).toBe(400);
    expect(overflow.error).toMatchObject({ code: 400, type: "exceed_context_size_error", n_ctx: 4096 });
    expect(overflow.message).toContain("the request exceeds the available context size");
    const loading = (await client.chat.completions
      .create({ model: "m", messages })
      .catch((e: unknown) => e)) as APIError;
    expect(loading.status).toBe(503);
    expect(loading.error).toEqual({ code: 503, message: "Loading model", type: "unavailable_error" });
  });

  it("fails only requests matching a predicate", async () => {
    server.fail({ status: 500, message: "boom" }, { when: (body: ChatCompletionBody) => body.seed === 13 });
    await expect(client.chat.completions.create({ model: "m", messages, seed: 1 })).resolves.toBeDefined();
    await expect(client.chat.completions.create({ model: "m", messages, seed: 13 })).rejects.toThrow("500 boom");
    await expect(client.chat.completions.create({ model: "m", messages, seed: 13 })).rejects.toThrow("500 boom");
  });

  it("cuts a stream: the client gets some content, then throws", async () => {
    server.fail({ kind: "cut" });
    const stream = await client.chat.completions.create({ model: "m", messages, stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(seen.join("")).toBe("Here is ");
  });

  it("cuts or garbles a non-streamed body: the client throws", async () => {
    server.fail({ kind: "cut" });
    server.fail({ kind: "bad-json" });
    await expect(client.chat.completions.create({ model: "m", messages })).rejects.toThrow();
    await expect(client.chat.completions.create({ model: "m", messages })).rejects.toThrow();
    expect(server.chatRequests().map((r) => r.fault)).toEqual([{ kind: "cut" }, { kind: "bad-json" }]);
  });

  it("sends an error event mid-stream, which the client raises", async () => {
    server.fail({ kind: "sse-error", message: "slot crashed" });
    const stream = await client.chat.completions.create({ model: "m", messages, stream: true });
    await expect(collect(stream)).rejects.toThrow("slot crashed");
  });

  it("sends a chunk that is not JSON, which the client cannot parse", async () => {
    server.fail({ kind: "bad-json" });
    const quiet = new OpenAI({ baseURL: server.baseURL, apiKey: "sk-test", maxRetries: 0, logLevel: "off" });
    const stream = await quiet.chat.completions.create({ model: "m", messages, stream: true });
    await expect(collect(stream)).rejects.toThrow(SyntaxError);
  });

  it("resets the connection without a response", async () => {
    server.fail({ kind: "reset" });
    await expect(client.chat.completions.create({ model: "m", messages })).rejects.toBeInstanceOf(APIConnectionError);
  });

  it("ends with finish_reason length on a length fault or when max_tokens is reached", async () => {
    const full = await collect(await client.chat.completions.create({ model: "m", messages, stream: true }));
    server.fail({ kind: "length" });
    const half = await collect(await client.chat.completions.create({ model: "m", messages, stream: true }));
    expect(half.finish).toBe("length");
    expect(full.text.startsWith(half.text) && half.text.length < full.text.length).toBe(true);
    const capped = await client.chat.completions.create({ model: "m", messages, max_tokens: 2 });
    expect(capped.choices[0]).toMatchObject({ finish_reason: "length", message: { content: "Here is " } });
    expect(capped.usage?.completion_tokens).toBe(2);
  });

  it("answers empty or in prose when told to", async () => {
    server.fail({ kind: "empty" });
    server.fail({ kind: "no-code" });
    const empty = await client.chat.completions.create({ model: "m", messages });
    expect(empty.choices[0]).toMatchObject({ finish_reason: "stop", message: { content: "" } });
    const prose = await client.chat.completions.create({ model: "m", messages });
    expect(prose.choices[0]?.message.content).not.toContain("```");
  });

  it("serves llama-server's /props, /slots and /health", async () => {
    const props = await (await fetch(`${server.url}/props`)).json();
    expect(props).toMatchObject({
      build_info: "b1234-abcdef",
      total_slots: 1,
      default_generation_settings: { cache_prompt: true },
    });
    expect(await (await fetch(`${server.url}/slots`)).json()).toHaveLength(1);
    expect(await (await fetch(`${server.url}/health`)).json()).toEqual({ status: "ok" });
    const missing = await fetch(`${server.url}/api/tags`);
    expect(missing.status).toBe(404);
    expect((await missing.json()).error).toMatchObject({ code: 404, type: "not_found_error" });
  });
});

describe("openai test server options", () => {
  const servers: TestServer[] = [];
  const start = async (...args: Parameters<typeof startTestServer>) => {
    const server = await startTestServer(...args);
    servers.push(server);
    return server;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it("lists its models and gives a 404 APIError for any other", async () => {
    const server = await start({ models: ["qwen2.5-coder:7b"] });
    const client = clientFor(server);
    const list = await client.models.list();
    expect(list.data).toEqual([expect.objectContaining({ id: "qwen2.5-coder:7b", object: "model", owned_by: "test" })]);
    const error = (await client.chat.completions.create({ model: "x", messages }).catch((e: unknown) => e)) as APIError;
    expect(error).toBeInstanceOf(APIError);
    expect(error.status).toBe(404);
    expect(error.code).toBe("model_not_found");
    expect(error.message).toBe("404 model 'x' not found");
  });

  it("imitates Ollama: /api/tags, no /props", async () => {
    const server = await start({ flavor: "ollama", models: ["llama3.2:1b"] });
    const tags = await (await fetch(`${server.url}/api/tags`)).json();
    expect(tags.models[0]).toMatchObject({ name: "llama3.2:1b", model: "llama3.2:1b", details: { format: "gguf" } });
    expect(tags.models[0].digest).toMatch(/^[0-9a-f]{64}$/);
    expect((await fetch(`${server.url}/props`)).status).toBe(404);
  });

  it("as a plain server has neither /props nor /api/tags; reports slots and prompt cache when llama-server", async () => {
    const plain = await start({ flavor: "plain" });
    expect((await fetch(`${plain.url}/props`)).status).toBe(404);
    expect((await fetch(`${plain.url}/api/tags`)).status).toBe(404);
    const llama = await start({ slots: 4, promptCache: false });
    expect((await (await fetch(`${llama.url}/props`)).json()).default_generation_settings.cache_prompt).toBe(false);
    expect(await (await fetch(`${llama.url}/slots`)).json()).toHaveLength(4);
  });

  it("uses the given answer function with the request index, and the answer helpers' format", async () => {
    const files = { "generated/a.py": "print(1)\n", "generated/b.ts": "export const b = 2;" };
    const server = await start({
      answer: (_body, index) => (index === 0 ? multiFileAnswer(files) : fencedAnswer("x", "sh")),
    });
    const client = clientFor(server);
    const first = await client.chat.completions.create({ model: "m", messages });
    expect(first.choices[0]?.message.content).toBe(
      "generated/a.py\n```python\nprint(1)\n```\n\ngenerated/b.ts\n```typescript\nexport const b = 2;\n```",
    );
    const second = await client.chat.completions.create({ model: "m", messages });
    expect(second.choices[0]?.message.content).toBe("```sh\nx\n```");
  });

  it("serves concurrent requests concurrently", async () => {
    // Each answer waits until all three requests have arrived: a server that serialized them would hang.
    let arrived = 0;
    let release!: () => void;
    const allArrived = new Promise<void>((resolve) => (release = resolve));
    const server = await start({
      latencyMs: 20,
      answer: async (_body, index) => {
        if (++arrived === 3) release();
        await allArrived;
        return `answer ${index}`;
      },
    });
    const client = clientFor(server);
    const answers = await Promise.all(
      [0, 1, 2].map(
        async () => (await client.chat.completions.create({ model: "m", messages })).choices[0]?.message.content,
      ),
    );
    expect(answers.sort()).toEqual(["answer 0", "answer 1", "answer 2"]);
  });

  it("fails the same requests for the same fault seed, again after reset", async () => {
    const server = await start({ faultRate: 0.5, faultSeed: 3 });
    const client = clientFor(server);
    const run = async () => {
      const outcomes: string[] = [];
      for (let i = 0; i < 12; i++) {
        outcomes.push(
          await client.chat.completions.create({ model: "m", messages }).then(
            () => "ok",
            (e: APIError) => String(e.status),
          ),
        );
      }
      return outcomes;
    };
    const first = await run();
    expect(first).toContain("ok");
    expect(first.some((outcome) => ["500", "502", "503"].includes(outcome))).toBe(true);
    server.reset();
    expect(await run()).toEqual(first);
  });

  it("stalls a stream until the server closes, without hanging the test", async () => {
    const server = await start();
    server.fail({ kind: "stall", afterChunks: 1 });
    const response = await fetch(`${server.baseURL}/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "m", messages, stream: true }),
    });
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toContain('"role":"assistant"');
    const next = reader.read();
    const waited = await Promise.race([next.then(() => "data"), new Promise((r) => setTimeout(r, 100, "stalled"))]);
    expect(waited).toBe("stalled");
    await server.close();
    await expect(next).rejects.toThrow();
  });
});
