/**
 * Ollama's native chat API (POST /api/chat), the one that honours every option pc pins: its
 * OpenAI-compatible endpoint ignores most samplers and num_ctx. Streams newline-delimited JSON:
 * one object per piece of the answer, the last with `done: true`, its reason and its counts.
 */
import { PcError } from "../util/errors.js";
import { httpFetch } from "./http.js";
import { ollamaOptions } from "./samplers.js";
import type { StreamEvent } from "./stream-events.js";
import type { GenerationRequest } from "./types.js";

/** The context pc asks Ollama for when the prompt pins no num_ctx (Ollama's own default is smaller). */
export const OLLAMA_NUM_CTX = 8192;

export function ollamaBody(request: GenerationRequest): Record<string, unknown> {
  return {
    model: request.model,
    messages: request.messages,
    stream: true,
    options: {
      seed: request.seed,
      temperature: request.temperature,
      ...ollamaOptions(request.sampler),
      num_ctx: request.numCtx ?? OLLAMA_NUM_CTX,
      num_predict: request.maxTokens ?? -1,
      ...(request.stop !== undefined ? { stop: request.stop } : {}),
    },
    ...(request.think !== undefined ? { think: request.think } : {}),
  };
}

/** An HTTP error shaped like the openai client's, so engineError explains it the same way. */
class OllamaHttpError extends Error {
  constructor(
    readonly status: number,
    readonly headers: Headers,
    readonly error: { message: string },
  ) {
    super(error.message);
  }
}

/** Sends the request and yields the answer's pieces; throws what engineError understands. */
export async function* ollamaChat(
  origin: string,
  request: GenerationRequest,
  headers: Record<string, string>,
  signal: AbortSignal,
): AsyncGenerator<StreamEvent> {
  const body = ollamaBody(request);
  const response = await httpFetch(`${origin}/api/chat`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => "");
    let message = text.slice(0, 300);
    try {
      message = String((JSON.parse(text) as { error?: unknown }).error ?? message);
    } catch {
      // not JSON: the text itself
    }
    throw new OllamaHttpError(response.status, response.headers, { message });
  }
  const numCtx = (body.options as { num_ctx: number }).num_ctx;
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(part, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield eventOf(line, numCtx, request.prompt);
    }
  }
  if (buffered.trim()) yield eventOf(buffered.trim(), numCtx, request.prompt);
}

interface OllamaChunk {
  model?: string;
  message?: { content?: string; thinking?: string };
  done?: boolean;
  done_reason?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  error?: string;
}

function eventOf(line: string, numCtx: number, prompt: string): StreamEvent {
  const chunk = JSON.parse(line) as OllamaChunk; // a SyntaxError is reported (and retried) as not valid JSON
  if (chunk.error) throw Object.assign(new Error(chunk.error), { name: "APIError", error: { message: chunk.error } });
  // message.thinking (reasoning) is never part of the answer.
  const event: StreamEvent = {
    model: chunk.model,
    text: chunk.message?.content || undefined,
    thinking: Boolean(chunk.message?.thinking),
  };
  if (!chunk.done) return event;
  const promptTokens = chunk.prompt_eval_count ?? 0;
  const completionTokens = chunk.eval_count ?? 0;
  if (promptTokens + completionTokens >= numCtx) {
    // Ollama keeps going by dropping the start of the prompt: an answer to a prompt pc never sent.
    throw new PcError(
      "PC_CONTEXT_EXCEEDED",
      `the prompt and the answer filled Ollama's context (num_ctx ${numCtx}: ${promptTokens} prompt + ${completionTokens} answer tokens); Ollama drops the start of a prompt that does not fit`,
      {
        file: prompt,
        hint: `Pin a larger context in the prompt's frontmatter, e.g. num_ctx: ${numCtx * 2}, or shorten the prompt. Nothing was written.`,
      },
    );
  }
  event.finishReason = chunk.done_reason === "length" ? "length" : "stop";
  event.usage = { promptTokens, completionTokens };
  return event;
}
