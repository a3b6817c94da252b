// Wire format of OpenAI-compatible chat completions, as llama-server and Ollama emit it:
// request body types, chunk/completion objects, server-sent-event framing and token estimates.
import type { ServerResponse } from "node:http";
import type { Fault } from "./faults.js";

/** One message of a chat request body (content may be a string or content parts). */
export interface ChatMessageBody {
  role: string;
  content: string | Array<{ type: string; text?: string }> | null;
  [key: string]: unknown;
}

/** The JSON body of `POST /v1/chat/completions`, as a client sends it. */
export interface ChatCompletionBody {
  model: string;
  messages: ChatMessageBody[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
  seed?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  top_k?: number | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  /** llama-server's native name for max_tokens. */
  n_predict?: number | null;
  stop?: string | string[] | null;
  cache_prompt?: boolean | null;
  [key: string]: unknown;
}

export type FinishReason = "stop" | "length";

/** What every chunk of one completion shares. */
export interface CompletionIdentity {
  id: string;
  created: number;
  model: string;
  systemFingerprint: string;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** The text of a message, joining content parts. */
export function messageText(message: ChatMessageBody): string {
  const { content } = message;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? "").join("");
  return "";
}

/** About four characters a token: close enough to real tokenizers for usage numbers. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

export function promptTokens(body: ChatCompletionBody): number {
  return body.messages.reduce((sum, message) => sum + estimateTokens(messageText(message)) + 4, 0);
}

/** Split an answer into content deltas of `size` characters (code points, never half a surrogate pair). */
export function splitAnswer(text: string, size = 4): string[] {
  const chars = Array.from(text);
  const pieces: string[] = [];
  for (let i = 0; i < chars.length; i += size) pieces.push(chars.slice(i, i + size).join(""));
  return pieces;
}

/** The output cap the request asks for, whichever name it uses. */
export function maxTokens(body: ChatCompletionBody): number | undefined {
  const cap = body.max_completion_tokens ?? body.max_tokens ?? body.n_predict;
  return typeof cap === "number" && cap >= 0 ? cap : undefined;
}

export function usageOf(body: ChatCompletionBody, completionTokens: number): Usage {
  const prompt = promptTokens(body);
  return { prompt_tokens: prompt, completion_tokens: completionTokens, total_tokens: prompt + completionTokens };
}

export function chunkObject(
  identity: CompletionIdentity,
  delta: Record<string, unknown>,
  finishReason: FinishReason | null = null,
): Record<string, unknown> {
  return {
    id: identity.id,
    object: "chat.completion.chunk",
    created: identity.created,
    model: identity.model,
    system_fingerprint: identity.systemFingerprint,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
}

export function usageChunk(identity: CompletionIdentity, usage: Usage): Record<string, unknown> {
  return {
    id: identity.id,
    object: "chat.completion.chunk",
    created: identity.created,
    model: identity.model,
    system_fingerprint: identity.systemFingerprint,
    choices: [],
    usage,
  };
}

export function completionObject(
  identity: CompletionIdentity,
  content: string,
  finishReason: FinishReason,
  usage: Usage,
): Record<string, unknown> {
  return {
    id: identity.id,
    object: "chat.completion",
    created: identity.created,
    model: identity.model,
    system_fingerprint: identity.systemFingerprint,
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: finishReason, logprobs: null }],
    usage,
  };
}

/** One `data:` event; strings are sent verbatim (for `[DONE]` and deliberately broken JSON). */
export function sseData(data: unknown): string {
  return `data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`;
}

export const SSE_DONE = sseData("[DONE]");

export function writeSSEHeaders(res: ServerResponse, extra: Record<string, string> = {}): void {
  res.writeHead(200, {
    "Content-Type": "text/event-stream",
    "Cache-Control": "no-cache",
    Connection: "keep-alive",
    ...extra,
  });
  res.flushHeaders();
}

/**
 * Write and wait until the bytes are handed to the socket, so a fault that destroys the socket
 * afterwards still lets the client see everything written before it. False once the client is gone.
 */
export function send(res: ServerResponse, text: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => res.write(text, (error) => resolve(!error)));
}

/** One completion, ready to send: the answer already cut into content deltas (one delta, one token). */
export interface Completion {
  body: ChatCompletionBody;
  chunks: string[];
  /** Reasoning deltas streamed before the content, in `reasoningField` (as llama-server's --reasoning-format does). */
  reasoning?: { field: "reasoning_content" | "reasoning"; chunks: string[] };
  finishReason: FinishReason;
  identity: CompletionIdentity;
}

type BreakingFault = Extract<Fault, { kind: "cut" | "sse-error" | "bad-json" | "stall" }>;

/** How many SSE events a breaking fault lets through by default (the role chunk counts). */
const BREAKING_DEFAULTS: Record<BreakingFault["kind"], number> = { cut: 3, "sse-error": 3, "bad-json": 3, stall: 0 };

function isBreaking(fault: Fault): fault is BreakingFault {
  return "kind" in fault && Object.hasOwn(BREAKING_DEFAULTS, fault.kind);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Stream a completion as SSE: a role chunk, the content chunks, a finish chunk, a usage chunk when
 * `stream_options.include_usage` is set, then `[DONE]`; or break off as the stream fault says.
 */
export async function streamCompletion(
  res: ServerResponse,
  completion: Completion,
  fault: Fault | undefined,
  tokenDelayMs: number,
): Promise<void> {
  const { identity, chunks, body } = completion;
  const events = [
    sseData(chunkObject(identity, { role: "assistant", content: null })),
    ...(completion.reasoning?.chunks ?? []).map((text) =>
      sseData(chunkObject(identity, { [completion.reasoning!.field]: text })),
    ),
    ...chunks.map((content) => sseData(chunkObject(identity, { content }))),
    sseData(chunkObject(identity, {}, completion.finishReason)),
  ];
  if (body.stream_options?.include_usage) events.push(sseData(usageChunk(identity, usageOf(body, chunks.length))));
  events.push(SSE_DONE);

  const broken = fault && isBreaking(fault) ? fault : undefined;
  // A broken stream breaks before its finish chunk, so a client never sees it as complete.
  const breakAt = broken ? Math.min(broken.afterChunks ?? BREAKING_DEFAULTS[broken.kind], chunks.length + 1) : -1;

  writeSSEHeaders(res);
  for (let i = 0; i < events.length; i++) {
    if (broken && i === breakAt) {
      if (broken.kind === "stall") return; // keep the socket open; close() or the client ends it
      if (broken.kind === "cut") return void res.destroy();
      if (broken.kind === "sse-error") return sendStreamError(res, broken);
      if (!(await send(res, `data: {"id":"${identity.id}","choices":[{"delta":{"content":"oo\n\n`))) return;
    }
    if (i > 0 && tokenDelayMs > 0) await sleep(tokenDelayMs);
    if (!(await send(res, events[i]!))) return;
  }
  res.end();
}

async function sendStreamError(res: ServerResponse, fault: Extract<Fault, { kind: "sse-error" }>): Promise<void> {
  const error = { code: 500, message: fault.message ?? "slot unavailable: generation failed", type: "server_error" };
  const format = fault.format ?? "both";
  if (format !== "data") await send(res, `error: ${JSON.stringify(error)}\n\n`);
  if (format !== "error-line") await send(res, sseData({ error }));
  await send(res, SSE_DONE);
  res.end();
}

/** Send a whole `chat.completion` object, or a broken one as the fault says. */
export async function writeCompletion(
  res: ServerResponse,
  completion: Completion,
  fault: Fault | undefined,
): Promise<void> {
  const { identity, chunks, body } = completion;
  const json = JSON.stringify(
    completionObject(identity, chunks.join(""), completion.finishReason, usageOf(body, chunks.length)),
  );
  const kind = fault && "kind" in fault ? fault.kind : undefined;
  const headers = { "Content-Type": "application/json; charset=utf-8" };
  if (kind === "stall") return void res.writeHead(200, headers).flushHeaders();
  if (kind === "sse-error") {
    const error = { code: 500, message: "slot unavailable: generation failed", type: "server_error" };
    return void res.writeHead(500, headers).end(JSON.stringify({ error }));
  }
  if (kind === "cut") {
    res.writeHead(200, { ...headers, "Content-Length": String(Buffer.byteLength(json)) });
    await send(res, json.slice(0, Math.floor(json.length / 2)));
    return void res.destroy();
  }
  res.writeHead(200, headers).end(kind === "bad-json" ? json.slice(0, Math.floor(json.length / 2)) : json);
}
