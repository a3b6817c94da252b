// Ollama's native chat API (POST /api/chat) as the test server speaks it: newline-delimited JSON,
// one object per piece of the answer, the last with done: true, done_reason and the token counts.
// Wire format from Ollama's API reference (docs/api.md: "Generate a chat completion").
import type { ServerResponse } from "node:http";
import type { Fault } from "./faults.js";
import { type ChatCompletionBody, type Completion, promptTokens } from "./sse.js";

/** Ollama's `options` of a native request. */
export function ollamaOptions(body: ChatCompletionBody): Record<string, unknown> {
  const options = body.options;
  return typeof options === "object" && options !== null ? (options as Record<string, unknown>) : {};
}

/** num_predict, Ollama's max_tokens (-1: no limit). */
export function ollamaMaxTokens(body: ChatCompletionBody): number | undefined {
  const n = ollamaOptions(body).num_predict;
  return typeof n === "number" && n >= 0 ? n : undefined;
}

/** Ollama's default context when a request sets no num_ctx. */
export const OLLAMA_DEFAULT_NUM_CTX = 4096;

/**
 * Streams a completion as Ollama does. Like Ollama, a prompt longer than num_ctx is cut from the
 * start without an error: prompt_eval_count then says how much of it was read.
 */
export async function streamOllama(
  res: ServerResponse,
  completion: Completion,
  fault: Fault | undefined,
): Promise<void> {
  const { body, chunks, identity } = completion;
  const numCtx = Number(ollamaOptions(body).num_ctx ?? OLLAMA_DEFAULT_NUM_CTX);
  res.writeHead(200, { "Content-Type": "application/x-ndjson" });
  const line = (data: unknown) =>
    new Promise<void>((resolve) => res.write(`${JSON.stringify(data)}\n`, () => resolve()));
  const base = { model: identity.model, created_at: new Date(identity.created * 1000).toISOString() };
  const cutAt = fault && "kind" in fault && fault.kind === "cut" ? (fault.afterChunks ?? 3) : -1;
  for (const [i, content] of chunks.entries()) {
    if (i === cutAt) return void res.destroy();
    await line({ ...base, message: { role: "assistant", content }, done: false });
  }
  if (cutAt >= 0) return void res.destroy();
  const read = Math.min(promptTokens(body), numCtx);
  await line({
    ...base,
    message: { role: "assistant", content: "" },
    done: true,
    done_reason: completion.finishReason,
    total_duration: 1_000_000,
    prompt_eval_count: read,
    eval_count: chunks.length,
  });
  res.end();
}
