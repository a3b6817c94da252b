// Fault injection for the test server: what can go wrong, the queue of planned faults, random faults
// for soak tests, and the error bodies real servers send.
import type { ChatCompletionBody } from "./sse.js";
import { promptTokens } from "./sse.js";

/** An HTTP error response instead of a completion. Bodies default to what llama-server sends. */
export interface StatusFault {
  status: 400 | 401 | 403 | 404 | 413 | 422 | 429 | 500 | 502 | 503;
  /** Sent as a `Retry-After` header: seconds, or a string as it is (an HTTP date). */
  retryAfter?: number | string;
  code?: string | number;
  message?: string;
  type?: string;
}

/**
 * A broken or unusual completion. `afterChunks` counts SSE events sent before the fault, the
 * `role` chunk included (default 3 for cut/sse-error/bad-json, 0 for stall: headers only).
 */
export type StreamFault =
  /** Send some chunks, then destroy the socket without `[DONE]`. */
  | { kind: "cut"; afterChunks?: number }
  /**
   * Send some chunks, then an error event mid-stream and `[DONE]`. llama-server writes an
   * `error: {...}` line (ignored by SSE parsers); OpenAI clients need `data: {"error":...}`.
   */
  | { kind: "sse-error"; afterChunks?: number; message?: string; format?: "error-line" | "data" | "both" }
  /** A chunk whose data is not JSON, then the rest of the stream. */
  | { kind: "bad-json"; afterChunks?: number }
  /** Send headers and maybe some chunks, then nothing until the client gives up or the server closes. */
  | { kind: "stall"; afterChunks?: number }
  /** Destroy the socket at once: no status line, no body. */
  | { kind: "reset" }
  /** Half the answer with finish_reason "length". */
  | { kind: "length" }
  /** Empty content, finish_reason "stop". */
  | { kind: "empty" }
  /** A prose answer with no code fence. */
  | { kind: "no-code"; text?: string };

export type Fault = StatusFault | StreamFault;

export interface FailOptions {
  /** How many matching requests fail: default 1, or every match (Infinity) when `when` is given. */
  times?: number;
  /** Only requests for which this is true fail (and use up `times`). */
  when?: (body: ChatCompletionBody) => boolean;
}

interface PlannedFault {
  fault: Fault;
  remaining: number;
  when?: (body: ChatCompletionBody) => boolean;
}

/** Faults planned by a test, taken in the order they were queued by the first request each matches. */
export class FaultQueue {
  #planned: PlannedFault[] = [];

  add(fault: Fault, options: FailOptions = {}): void {
    const remaining = options.times ?? (options.when ? Infinity : 1);
    if (remaining > 0) this.#planned.push({ fault, remaining, when: options.when });
  }

  take(body: ChatCompletionBody): Fault | undefined {
    const index = this.#planned.findIndex((planned) => !planned.when || planned.when(body));
    if (index < 0) return undefined;
    const planned = this.#planned[index]!;
    planned.remaining -= 1;
    if (planned.remaining <= 0) this.#planned.splice(index, 1);
    return planned.fault;
  }

  get size(): number {
    return this.#planned.length;
  }

  clear(): void {
    this.#planned = [];
  }
}

/** mulberry32: a tiny seeded RNG, so a soak test with a fault rate fails the same requests every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function isStatusFault(fault: Fault): fault is StatusFault {
  return "status" in fault;
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: Record<string, unknown> };
}

/** `{"error":{"code","message","type"}}`, the shape every OpenAI-compatible server uses. */
export function errorResponse(status: number, code: string | number, message: string, type: string): ErrorResponse {
  return { status, headers: {}, body: { error: { code, message, type } } };
}

export function modelNotFound(model: string): ErrorResponse {
  return errorResponse(404, "model_not_found", `model '${model}' not found`, "invalid_request_error");
}

/** The response for a status fault, with the body the real server would send for that status. */
export function statusFaultResponse(fault: StatusFault, body: ChatCompletionBody, nCtx: number): ErrorResponse {
  const response = defaultErrorFor(fault.status, body, nCtx);
  const error = response.body.error;
  if (fault.code !== undefined) error.code = fault.code;
  if (fault.message !== undefined) error.message = fault.message;
  if (fault.type !== undefined) error.type = fault.type;
  if (fault.retryAfter !== undefined) response.headers["Retry-After"] = String(fault.retryAfter);
  return response;
}

function defaultErrorFor(status: StatusFault["status"], body: ChatCompletionBody, nCtx: number): ErrorResponse {
  switch (status) {
    case 400: {
      const response = errorResponse(
        400,
        400,
        "the request exceeds the available context size, try increasing it",
        "exceed_context_size_error",
      );
      Object.assign(response.body.error, { n_prompt_tokens: Math.max(promptTokens(body), nCtx + 1), n_ctx: nCtx });
      return response;
    }
    case 401:
      return errorResponse(401, 401, "Invalid API Key", "authentication_error");
    case 403:
      return errorResponse(403, 403, "Forbidden", "permission_error");
    case 404:
      return modelNotFound(body.model);
    case 413:
      return errorResponse(413, 413, "Request body too large", "invalid_request_error");
    case 422:
      return errorResponse(422, 422, "Unprocessable entity: messages must not be empty", "invalid_request_error");
    case 429:
      return errorResponse(
        429,
        "rate_limit_exceeded",
        "Rate limit reached, please try again later",
        "rate_limit_error",
      );
    case 500:
      return errorResponse(500, 500, "Internal server error", "server_error");
    case 502:
      return errorResponse(502, 502, "Bad gateway: upstream unavailable", "server_error");
    case 503:
      return errorResponse(503, 503, "Loading model", "unavailable_error");
  }
}
