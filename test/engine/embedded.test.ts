import { samplerFrom } from "../../src/engine/samplers.js";
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEmbeddedEngine } from "../../src/engine/embedded.js";
import type { Engine, GenerationProgress, GenerationRequest } from "../../src/engine/types.js";
import { isPcError } from "../../src/util/errors.js";
import { tinyModelBytes } from "../support/tiny-gguf.js";
import { removeProject, makeProject } from "../support/project.js";

let root: string;
const engines: Engine[] = [];

function engine(): Engine {
  const created = createEmbeddedEngine({ root, threads: 1 });
  engines.push(created);
  return created;
}

function request(overrides: Partial<GenerationRequest> = {}): GenerationRequest {
  return {
    prompt: "prompts/hello.md",
    model: "gguf:models/tiny.gguf",
    messages: [
      { role: "system", content: "You write Python." },
      { role: "user", content: "Print hello." },
    ],
    seed: 42,
    temperature: 0.8,
    sampler: samplerFrom({ top_p: 0.95 }),
    maxTokens: 16,
    ...overrides,
  };
}

async function errorOf(promise: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return isPcError(error) ? { code: error.code, message: error.message } : { message: String(error) };
  }
  throw new Error("expected a rejection");
}

beforeAll(async () => {
  root = (
    await makeProject(
      {
        "models/tiny.gguf": tinyModelBytes({ seed: 1 }),
        "models/other.gguf": tinyModelBytes({ seed: 2 }),
        "models/garbage.gguf": "this is not a model\n".repeat(20),
        "models/truncated.gguf": tinyModelBytes({ seed: 1 }).subarray(0, 200_000),
      },
      "pc-embedded-",
    )
  ).root;
});

afterAll(async () => {
  for (const e of engines) await e.close();
  await removeProject(root);
});

describe("tiny GGUF model", () => {
  it("is the same bytes for the same seed and different weights for another seed", () => {
    const a = tinyModelBytes({ seed: 1 });
    expect(a.subarray(0, 4).toString("latin1")).toBe("GGUF");
    expect(tinyModelBytes({ seed: 1 }).equals(a)).toBe(true);
    const b = tinyModelBytes({ seed: 2 });
    expect(b.length).toBe(a.length);
    expect(b.equals(a)).toBe(false);
  });
});

describe("embedded engine", () => {
  let first: Engine;
  beforeAll(() => {
    first = engine();
  });

  it("samples the same text for the same seed, and other text for another seed", async () => {
    const progress: GenerationProgress[] = [];
    const a = await first.generate(request(), { onProgress: (p) => progress.push(p) });
    const again = await first.generate(request());
    const other = await first.generate(request({ seed: 43 }));

    expect(a.text.length).toBeGreaterThan(0);
    expect(again.text).toBe(a.text);
    expect(other.text).not.toBe(a.text);

    expect(a.finishReason).toBe("length");
    expect(a.usage.completionTokens).toBe(16);
    expect(a.usage.promptTokens).toBeGreaterThan("You write Python.Print hello.".length);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toMatchObject({ prompt: "prompts/hello.md", tokens: 16 });
    expect(progress.map((p) => p.tokens)).toEqual([...progress.map((p) => p.tokens)].sort((x, y) => x - y));

    expect(a.identity).toMatchObject({
      engine: "embedded",
      model: "gguf:models/tiny.gguf",
      file: "models/tiny.gguf",
      contextSize: 4096,
      batchSize: 512,
      threads: 1,
    });
    expect(a.identity.fileHash).toBe(
      `sha256:${createHash("sha256")
        .update(tinyModelBytes({ seed: 1 }))
        .digest("hex")}`,
    );
    expect(a.identity.cpu).toMatch(/\S/);
    // The sampler is the request's (the lock records it as sampling); the identity is the model's.
    expect(Object.keys(a.identity)).not.toContain("topK");
    expect(typeof a.identity.llamaCppBuild).toBe("string");
    expect(String(a.identity.llamaCppBuild).length).toBeGreaterThan(0);
  });

  it("gives the same text from a separate engine and model load, whatever ran before", async () => {
    const a = await first.generate(request({ seed: 7 }));
    await first.generate(request({ seed: 8, messages: [{ role: "user", content: "something else entirely" }] }));
    const afterOther = await first.generate(request({ seed: 7 }));
    const fromSecond = await engine().generate(request({ seed: 7 }));
    expect(afterOther.text).toBe(a.text);
    expect(fromSecond.text).toBe(a.text);
  });

  it("runs concurrent generations on one model one at a time, with the sequential results", async () => {
    const sequential = [
      (await first.generate(request({ seed: 11 }))).text,
      (await first.generate(request({ seed: 12 }))).text,
    ];
    const concurrent = await Promise.all([
      first.generate(request({ seed: 11 })),
      first.generate(request({ seed: 12 })),
    ]);
    expect(concurrent.map((r) => r.text)).toEqual(sequential);
  });

  it("samples greedily at temperature 0, where the seed makes no difference", async () => {
    const a = await first.generate(request({ temperature: 0, seed: 1 }));
    const b = await first.generate(request({ temperature: 0, seed: 2 }));
    expect(b.text).toBe(a.text);
  });

  it("runs another model file with other weights to other text", async () => {
    const a = await first.generate(request());
    const b = await first.generate(request({ model: "gguf:models/other.gguf" }));
    expect(b.identity.file).toBe("models/other.gguf");
    expect(b.text).not.toBe(a.text);
  });

  it("stops at a stop string", async () => {
    const full = await first.generate(request({ seed: 5, maxTokens: 24 }));
    // Stop at the first character that is plain printable ASCII (a single byte token).
    const index = [...full.text].findIndex((c, i) => i > 0 && /^[!-~]$/.test(c));
    expect(index).toBeGreaterThan(0);
    const stop = [...full.text][index]!;
    const stopped = await first.generate(request({ seed: 5, maxTokens: 24, stop: [stop] }));
    expect(stopped.finishReason).toBe("stop");
    expect(stopped.text).not.toContain(stop);
    expect(stopped.text.length).toBeLessThan(full.text.length);
    // Bytes held back as an incomplete UTF-8 sequence just before the stop string may be dropped.
    expect(full.text.startsWith(stopped.text)).toBe(true);
  });

  it("aborts a running generation, and the next one is unaffected", async () => {
    const expected = await first.generate(request({ seed: 3 }));
    const controller = new AbortController();
    const aborted = first.generate(request({ seed: 3, maxTokens: 3000 }), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.tokens >= 4) controller.abort();
      },
    });
    expect((await errorOf(aborted)).code).toBe("PC_ABORTED");
    expect((await errorOf(first.generate(request(), { signal: AbortSignal.abort() }))).code).toBe("PC_ABORTED");
    expect((await first.generate(request({ seed: 3 }))).text).toBe(expected.text);
  });

  it("rejects a file that is not a GGUF model, a truncated one and a missing one, naming the file", async () => {
    const garbage = await errorOf(first.generate(request({ model: "gguf:models/garbage.gguf" })));
    expect(garbage.code).toBe("PC_MODEL_INVALID");
    expect(garbage.message).toContain("models/garbage.gguf");
    const truncated = await errorOf(first.generate(request({ model: "gguf:models/truncated.gguf" })));
    expect(truncated.code).toBe("PC_MODEL_INVALID");
    expect(truncated.message).toContain("models/truncated.gguf");
    expect(truncated.message).toMatch(/corrupted or incomplete/);
    const missing = await errorOf(first.generate(request({ model: "gguf:models/missing.gguf" })));
    expect(missing.code).toBe("PC_MODEL_INVALID");
    expect(missing.message).toContain("models/missing.gguf");
  });

  it("looks for a model path outside the project there, and refuses refs it cannot run", async () => {
    const outside = await errorOf(first.generate(request({ model: "gguf:../no-such-model.gguf" })));
    expect(outside.code).toBe("PC_MODEL_INVALID");
    expect(outside.message).toBe("The model file no-such-model.gguf does not exist.");
    expect((await errorOf(first.generate(request({ model: "qwen2.5-coder:7b" })))).code).toBe("PC_MODEL_INVALID");
    expect((await errorOf(first.generate(request({ model: "hf:someone/some-repo:Q4_K_M" })))).code).toBe(
      "PC_MODEL_INVALID",
    );
  });
});
