// An in-process OpenAI-compatible server for integration tests, benchmarks and fault injection.
// It speaks the wire format of llama-server (or Ollama), records every request, and can be told to fail.
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { defaultAnswer } from "./answers.js";
import {
  type ErrorResponse,
  type FailOptions,
  type Fault,
  FaultQueue,
  type StatusFault,
  errorResponse,
  isStatusFault,
  modelNotFound,
  seededRandom,
  statusFaultResponse,
} from "./faults.js";
import { ollamaMaxTokens, streamOllama } from "./ollama-wire.js";
import {
  type ChatCompletionBody,
  type Completion,
  maxTokens,
  promptTokens,
  splitAnswer,
  streamCompletion,
  writeCompletion,
} from "./sse.js";

export { defaultAnswer, fencedAnswer, multiFileAnswer, languageFor, requestHash } from "./answers.js";
export type { ChatCompletionBody, ChatMessageBody } from "./sse.js";
export type { Fault, StatusFault, StreamFault, FailOptions } from "./faults.js";

/** An answer with reasoning sent apart from the content, as servers that parse reasoning do. */
export interface AnswerWithReasoning {
  content: string;
  reasoning: string;
  /** The delta field the reasoning travels in. Default `reasoning_content` (llama-server, vLLM); Ollama and OpenRouter say `reasoning`. */
  field?: "reasoning_content" | "reasoning";
}

export type AnswerText = string | AnswerWithReasoning;
export type Answer = AnswerText | ((body: ChatCompletionBody, index: number) => AnswerText | Promise<AnswerText>);

export interface TestServerOptions {
  /** The answer's text, or a function of the request and its 0-based index among chat requests. */
  answer?: Answer;
  /** Served models; requests for any other model get a 404. Default: any model is accepted. */
  models?: string[];
  /**
   * Which server to imitate: extra routes and fingerprints. Default "llama-server". "ollama" also
   * serves the native POST /api/chat; "vllm" answers GET /version. A "plain" server with
   * `strict` answers 400 to fields outside the OpenAI API, as some gateways do.
   */
  flavor?: "llama-server" | "ollama" | "vllm" | "plain";
  /** Reject request fields the OpenAI API does not define (plain servers only). */
  strict?: boolean;
  /** Slots reported by /props and /slots (llama-server). Default 1. */
  slots?: number;
  /** Reported as `default_generation_settings.cache_prompt` in /props. Default true. */
  promptCache?: boolean;
  /**
   * Context size reported by /props and by context-exceeded errors; an answer stops (finish_reason
   * "length") when it and the prompt fill it. Default 4096.
   */
  nCtx?: number;
  /** Delay before a completion starts, in ms. Requests are served concurrently. */
  latencyMs?: number;
  /** Delay between streamed chunks, in ms. */
  tokenDelayMs?: number;
  /** Characters per streamed content chunk; one chunk counts as one completion token. Default 4. */
  chunkSize?: number;
  /** Probability that a chat request gets a random fault (soak tests). Default 0. */
  faultRate?: number;
  /** Seed of the RNG behind `faultRate`. Default 1. */
  faultSeed?: number;
  /** Faults `faultRate` draws from. Default 500, 502 and 503. */
  randomFaults?: Fault[];
  /** What the server says about itself instead of the defaults (a hostile server may echo anything here). */
  identity?: { modelPath?: string; buildInfo?: string; model?: string; systemFingerprint?: string };
}

export interface RecordedRequest {
  method: string;
  /** The path with its query string, e.g. `/v1/chat/completions`. */
  path: string;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** `Date.now()` when the request arrived. */
  receivedAt: number;
  rawBody: string;
  /** The body parsed as JSON, or undefined when empty or not JSON. */
  body: unknown;
}

export interface RecordedChatRequest extends RecordedRequest {
  body: ChatCompletionBody;
  /** 0-based position among chat requests since start or reset (the answer function's `index`). */
  index: number;
  /** The fault this request was given, if any. */
  fault?: Fault;
}

export interface TestServer {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `url + "/v1"`, for an OpenAI client's baseURL. */
  readonly baseURL: string;
  /** Every request received, in arrival order (chat requests are RecordedChatRequest). */
  readonly requests: RecordedRequest[];
  /** The POST /v1/chat/completions requests with a JSON body. */
  chatRequests(): RecordedChatRequest[];
  /** Queue a fault for the next chat request (or the next `times`, or those matching `when`). */
  fail(fault: Fault, options?: FailOptions): void;
  /** Change the answer for later requests. */
  setAnswer(answer: Answer): void;
  /** Forget recorded requests and queued faults; restart chat indexes and the fault RNG. */
  reset(): void;
  /** The most chat completions in progress at once since start or reset (concurrency the client achieved). */
  maxActive(): number;
  /** Stop listening and destroy open sockets (stalled streams included). */
  close(): Promise<void>;
}

const DEFAULT_MODEL = "test-model";
const FINGERPRINTS = {
  "llama-server": "b1234-abcdef",
  ollama: "fp_ollama",
  vllm: "fp_vllm",
  plain: "fp_test",
} as const;

/** The fields of the OpenAI chat API a strict server accepts (others are a 400). */
const OPENAI_FIELDS = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "seed",
  "temperature",
  "top_p",
  "max_tokens",
  "max_completion_tokens",
  "stop",
  "presence_penalty",
  "frequency_penalty",
  "n",
  "logit_bias",
  "logprobs",
  "top_logprobs",
  "user",
  "reasoning_effort",
  "response_format",
  "tools",
  "tool_choice",
]);

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const flavor = options.flavor ?? "llama-server";
  const slots = options.slots ?? 1;
  const nCtx = options.nCtx ?? 4096;
  const models = options.models ?? [DEFAULT_MODEL];
  const requests: RecordedRequest[] = [];
  const faults = new FaultQueue();
  const sockets = new Set<Socket>();
  let answer: Answer = options.answer ?? defaultAnswer;
  let random = seededRandom(options.faultSeed ?? 1);
  let chatIndex = 0;
  let active = 0;
  let maxActive = 0;
  let completionCount = 0;

  const server = createServer((req, res) => {
    res.on("error", () => {}); // a client that hangs up mid-answer is a normal event here
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      sendError(res, errorResponse(500, 500, `test server: ${message}`, "server_error"));
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req);
    const path = req.url ?? "/";
    const route = `${req.method} ${path.split("?")[0]}`;
    const recorded: RecordedRequest = {
      method: req.method ?? "GET",
      path,
      headers: headersOf(req),
      receivedAt: Date.now(),
      rawBody,
      body: parseJson(rawBody),
    };
    requests.push(recorded);
    if (flavor === "llama-server") res.setHeader("Server", "llama.cpp");

    if (route === "POST /v1/chat/completions" || (flavor === "llama-server" && route === "POST /chat/completions")) {
      return chat(recorded, req, res);
    }
    if (flavor === "ollama" && route === "POST /api/chat") return chat(recorded, req, res, true);
    const json = routeJson(route);
    if (json !== undefined) return sendJson(res, 200, json);
    if (flavor === "ollama" && route === "GET /")
      return void res.writeHead(200, { "Content-Type": "text/plain" }).end("Ollama is running");
    sendError(res, errorResponse(404, 404, "File Not Found", "not_found_error"));
  }

  function routeJson(route: string): unknown {
    const created = Math.floor(Date.now() / 1000);
    if (route === "GET /v1/models" || (flavor === "llama-server" && route === "GET /models")) {
      return { object: "list", data: models.map((id) => ({ id, object: "model", created, owned_by: "test" })) };
    }
    if (flavor !== "ollama" && route === "GET /health") return { status: "ok" };
    if (flavor === "llama-server" && route === "GET /props") {
      return {
        model_path: options.identity?.modelPath ?? `/models/${models[0]}.gguf`,
        build_info: options.identity?.buildInfo ?? FINGERPRINTS["llama-server"],
        total_slots: slots,
        chat_template: "{{ messages }}",
        default_generation_settings: {
          n_ctx: nCtx,
          cache_prompt: options.promptCache ?? true,
          params: generationParams(),
        },
      };
    }
    if (flavor === "llama-server" && route === "GET /slots") {
      return Array.from({ length: slots }, (_, id) => ({
        id,
        n_ctx: nCtx,
        is_processing: id < active,
        params: generationParams(),
      }));
    }
    if (flavor === "ollama" && route === "GET /api/tags") return { models: models.map(ollamaModel) };
    if (flavor === "ollama" && route === "GET /api/version") return { version: "0.5.7" };
    if (flavor === "vllm" && route === "GET /version") return { version: "0.6.4" };
    return undefined;
  }

  async function chat(
    recorded: RecordedRequest,
    req: IncomingMessage,
    res: ServerResponse,
    native = false,
  ): Promise<void> {
    const body = recorded.body as ChatCompletionBody | undefined;
    if (!body || typeof body !== "object" || !Array.isArray(body.messages) || typeof body.model !== "string") {
      return sendError(
        res,
        errorResponse(400, 400, "expected a JSON body with 'model' and 'messages'", "invalid_request_error"),
      );
    }
    const unknown = options.strict ? Object.keys(body).filter((key) => !OPENAI_FIELDS.has(key)) : [];
    if (unknown.length > 0) {
      return sendError(
        res,
        errorResponse(
          400,
          400,
          `Unrecognized request argument supplied: ${unknown.join(", ")}`,
          "invalid_request_error",
        ),
      );
    }
    const chatRequest = recorded as RecordedChatRequest;
    chatRequest.index = chatIndex++;
    if (options.models && !options.models.includes(body.model)) return sendError(res, modelNotFound(body.model));

    const fault = faults.take(body) ?? randomFault();
    if (fault) chatRequest.fault = fault;
    if (fault && isStatusFault(fault)) {
      const response = statusFaultResponse(fault as StatusFault, body, nCtx);
      // Ollama's native API says what went wrong in a plain {"error": "..."} body.
      if (native)
        return sendJson(res, response.status, { error: fault.message ?? `status ${fault.status}` }, response.headers);
      return sendError(res, response);
    }
    if (fault?.kind === "reset") return void req.socket.destroy();

    active += 1;
    maxActive = Math.max(maxActive, active);
    res.on("close", () => (active -= 1));
    if (options.latencyMs) await sleep(options.latencyMs);
    const given = typeof answer === "function" ? await answer(body, chatRequest.index) : answer;
    const completion = shape(
      body,
      typeof given === "string" ? given : given.content,
      fault,
      native ? ollamaMaxTokens(body) : contextCap(body),
    );
    if (typeof given !== "string") {
      completion.reasoning = {
        field: given.field ?? "reasoning_content",
        chunks: splitAnswer(given.reasoning, options.chunkSize ?? 4),
      };
    }
    if (native) await streamOllama(res, completion, fault);
    else if (body.stream) await streamCompletion(res, completion, fault, options.tokenDelayMs ?? 0);
    else await writeCompletion(res, completion, fault);
  }

  /** The tokens an answer may have: the request's cap, within what the prompt leaves of the context. */
  function contextCap(body: ChatCompletionBody): number {
    const room = Math.max(nCtx - promptTokens(body), 0);
    return Math.min(maxTokens(body) ?? room, room);
  }

  /** Cut the answer into chunks and decide the finish reason, honouring the request's token cap. */
  function shape(
    body: ChatCompletionBody,
    text: string,
    fault: Fault | undefined,
    cap: number | undefined,
  ): Completion {
    let content = text;
    if (fault && !isStatusFault(fault) && fault.kind === "empty") content = "";
    if (fault && !isStatusFault(fault) && fault.kind === "no-code") {
      content = fault.text ?? "I cannot write that file, but here is how I would approach it in prose.";
    }
    let chunks = splitAnswer(content, options.chunkSize ?? 4);
    let finishReason: Completion["finishReason"] = "stop";
    if (fault && !isStatusFault(fault) && fault.kind === "length") {
      chunks = chunks.slice(0, Math.ceil(chunks.length / 2));
      finishReason = "length";
    }
    if (cap !== undefined && chunks.length > cap) {
      chunks = chunks.slice(0, cap);
      finishReason = "length";
    }
    completionCount += 1;
    return {
      body,
      chunks,
      finishReason,
      identity: {
        id: `chatcmpl-test${completionCount}`,
        created: Math.floor(Date.now() / 1000),
        model: options.identity?.model ?? body.model,
        systemFingerprint: options.identity?.systemFingerprint ?? FINGERPRINTS[flavor],
      },
    };
  }

  function randomFault(): Fault | undefined {
    if (!options.faultRate || random() >= options.faultRate) return undefined;
    const pool = options.randomFaults ?? [{ status: 500 }, { status: 502 }, { status: 503 }];
    return pool[Math.floor(random() * pool.length)];
  }

  function generationParams(): Record<string, unknown> {
    return { seed: 4294967295, temperature: 0.8, top_k: 40, top_p: 0.95, n_predict: -1 };
  }

  return {
    url,
    baseURL: `${url}/v1`,
    requests,
    chatRequests: () => requests.filter((r): r is RecordedChatRequest => "index" in r),
    fail: (fault, failOptions) => faults.add(fault, failOptions),
    setAnswer: (next) => void (answer = next),
    maxActive: () => maxActive,
    reset() {
      requests.length = 0;
      maxActive = active;
      faults.clear();
      chatIndex = 0;
      random = seededRandom(options.faultSeed ?? 1);
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
        server.closeAllConnections();
      });
    },
  };
}

function ollamaModel(name: string): Record<string, unknown> {
  const digest = createHash("sha256").update(name).digest("hex");
  return {
    name,
    model: name,
    modified_at: "2025-01-01T00:00:00Z",
    size: 4_683_087_332,
    digest,
    details: {
      parent_model: "",
      format: "gguf",
      family: "qwen2",
      families: ["qwen2"],
      parameter_size: "7.6B",
      quantization_level: "Q4_K_M",
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

function sendJson(res: ServerResponse, status: number, json: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return void res.destroy();
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers }).end(JSON.stringify(json));
}

function sendError(res: ServerResponse, response: ErrorResponse): void {
  sendJson(res, response.status, response.body, response.headers);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
