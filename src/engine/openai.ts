import type OpenAI from "openai";
import { PcError } from "../util/errors.js";
import { requireCjs } from "../util/require-cjs.js";
import { httpFetch } from "./http.js";
import { engineError } from "./openai-errors.js";
import { knownSecrets, redactDeep } from "../util/redact.js";
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from "./retry.js";
import { detectDialect, originOf, type DetectedDialect } from "./dialect.js";
import { ollamaChat } from "./ollama.js";
import { checkHonoured, llamaServerFields, openaiFields, vllmFields, type Dialect } from "./samplers.js";
import type { StreamEvent } from "./stream-events.js";
import type { Engine, GenerateOptions, GenerationRequest, GenerationResult, ModelIdentity } from "./types.js";

export const DEFAULT_BASE_URL = "http://127.0.0.1:8080/v1";

export interface OpenAIEngineOptions {
  baseURL: string;
  /** Sent as a bearer token; local servers need none. Never logged or recorded. */
  apiKey?: string;
  /** Abandon a request after this long without any data from the server (ms). Default 120 s. */
  idleTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Called before each retry, for progress output. */
  onRetry?: (prompt: string, error: PcError, delayMs: number, attempt: number) => void;
}

/** An engine for any OpenAI-compatible server: llama-server, Ollama, vLLM, LM Studio, gateways. */
export function createOpenAIEngine(options: OpenAIEngineOptions): Engine {
  return new OpenAIEngine(options);
}

/**
 * The body of one streamed chat completion request in a server's dialect: the standard fields, then
 * every sampler the server honours (see samplers.ts). Ollama's native body is in ollama.ts.
 */
export function requestBody(
  request: GenerationRequest,
  dialect: Dialect = "llama-server",
): OpenAI.ChatCompletionCreateParamsStreaming {
  const fields =
    dialect === "llama-server"
      ? llamaServerFields(request.sampler, request.think)
      : dialect === "vllm"
        ? vllmFields(request.sampler, request.think)
        : openaiFields(request.sampler, request.think);
  const body = {
    model: request.model,
    messages: request.messages,
    seed: request.seed,
    temperature: request.temperature,
    ...fields,
    ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
    ...(request.stop !== undefined ? { stop: request.stop } : {}),
    stream: true as const,
    stream_options: { include_usage: true },
  };
  return body as OpenAI.ChatCompletionCreateParamsStreaming;
}

class OpenAIEngine implements Engine {
  readonly kind = "openai";
  private readonly baseURL: string;
  private readonly idleTimeoutMs: number;
  private client: Promise<OpenAI> | undefined;
  /** What the server said about each model (see serverIdentity). */
  private readonly identities = new Map<string, Promise<Probed>>();
  /**
   * Once retries have shown that no server is listening, later prompts try once instead of each
   * waiting through the whole backoff again; one success clears it.
   */
  private unreachable = false;
  /** Which server this is: asked once per build (again only after a probe that could not tell). */
  private detected: Promise<DetectedDialect> | undefined;

  constructor(private readonly options: OpenAIEngineOptions) {
    this.baseURL = options.baseURL.replace(/\/+$/, "");
    this.idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  }

  describe(model: string): string {
    return `model "${model}" at ${this.baseURL}`;
  }

  async generate(request: GenerationRequest, generateOptions: GenerateOptions = {}): Promise<GenerationResult> {
    const policy = this.options.retry ?? DEFAULT_RETRY;
    try {
      const result = await withRetries(
        this.unreachable ? { ...policy, retries: 0 } : policy,
        generateOptions.signal,
        () => this.attempt(request, generateOptions),
        (error, delay, n) => this.options.onRetry?.(request.prompt, error, delay, n),
      );
      this.unreachable = false;
      return result;
    } catch (error) {
      if (error instanceof PcError && error.code === "PC_ENGINE_UNREACHABLE") this.unreachable = true;
      throw error;
    }
  }

  async close(): Promise<void> {}

  private getClient(): Promise<OpenAI> {
    return (this.client ??= Promise.resolve().then(() => {
      const { default: OpenAIClient } = requireCjs("openai") as typeof import("openai"); // see requireCjs
      // Retries are ours (they also cover streams cut mid-answer); the idle timer replaces the total timeout.
      // logLevel "off": the client would otherwise print unparsable chunks (and, with OPENAI_LOG, requests) to stderr.
      return new OpenAIClient({
        baseURL: this.baseURL,
        apiKey: this.options.apiKey || "no-key",
        maxRetries: 0,
        timeout: 24 * 3600_000,
        logLevel: "off",
        fetch: httpFetch as unknown as typeof fetch, // see http.ts
      });
    }));
  }

  /** One request: find the dialect, send it, read the streamed answer, then ask the server who answered. */
  private async attempt(request: GenerationRequest, generateOptions: GenerateOptions): Promise<GenerationResult> {
    // An abort that came before the listener below is attached would otherwise go unnoticed.
    if (generateOptions.signal?.aborted) throw new PcError("PC_ABORTED", "interrupted", { file: request.prompt });
    const watchdog = new IdleWatchdog(this.idleTimeoutMs, generateOptions.signal);
    try {
      // Asked before the idle timer starts (the probe has its own time limit) and before the
      // generation's clock starts, like loading the client: once per build, not the answer's time.
      const { dialect } = await this.dialect();
      checkHonoured(dialect, request.sampler, request.think, request.prompt);
      const openai = dialect === "ollama" ? undefined : await this.getClient();
      const started = performance.now();
      watchdog.arm();
      const events =
        openai === undefined
          ? ollamaChat(originOf(this.baseURL), request, this.authHeaders(), watchdog.signal)
          : openaiEvents(
              await openai.chat.completions.create(requestBody(request, dialect), { signal: watchdog.signal }),
            );
      const answer = await readAnswer(events, request, started, watchdog, generateOptions, () =>
        this.serverIdentity(request.model),
      );
      if (!answer.finishReason) {
        throw new PcError(
          "PC_ENGINE_ERROR",
          `model "${request.model}" at ${this.baseURL}: the answer stream ended before the answer was complete`,
          {
            file: request.prompt,
            hint: "The connection was cut mid-answer: see the server's log.",
            retryable: true,
          },
        );
      }
      // A server that could not say (llama-server answers 503 while loading) is asked once more.
      let said = await (answer.serverSays ?? this.serverIdentity(request.model));
      if (!said.complete) said = await this.serverIdentity(request.model);
      Object.assign(answer.identity, said.found);
      // llama-server names the model by the path it was started with: the file's name is the model.
      const named = answer.identity.model;
      if (typeof named === "string" && /[\\/]/.test(named) && said.found.modelFile !== undefined)
        answer.identity.model = fileName(named);
      return {
        text: answer.text,
        finishReason: answer.finishReason,
        usage: answer.usage ?? { promptTokens: 0, completionTokens: answer.chunks },
        durationMs: Math.round(performance.now() - started),
        identity: redactDeep(answer.identity, knownSecrets(process.env, [this.options.apiKey])), // a server's strings may echo the key
        contextSize: said.contextSize,
      };
    } catch (error) {
      throw this.attemptError(error, request, watchdog, generateOptions);
    } finally {
      watchdog.dispose();
    }
  }

  private authHeaders(): Record<string, string> {
    return this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {};
  }

  private dialect(): Promise<DetectedDialect> {
    const pending = (this.detected ??= detectDialect(this.baseURL, this.options.apiKey));
    const forget = () => {
      if (this.detected === pending) this.detected = undefined;
    };
    pending.then((d) => (d.complete ? undefined : forget()), forget);
    return pending;
  }

  /** Why an attempt failed, as the error retries look at: interrupted, stalled, or what the server said. */
  private attemptError(
    error: unknown,
    request: GenerationRequest,
    watchdog: IdleWatchdog,
    generateOptions: GenerateOptions,
  ): PcError {
    if (generateOptions.signal?.aborted) return new PcError("PC_ABORTED", "interrupted", { file: request.prompt });
    if (watchdog.stalled) {
      return new PcError(
        "PC_ENGINE_TIMEOUT",
        `model "${request.model}" at ${this.baseURL}: no data for ${Math.round(this.idleTimeoutMs / 1000)} s`,
        {
          file: request.prompt,
          hint: "The server sent nothing for that long. Raise the limit with --timeout <seconds> if the model is just slow.",
          retryable: true,
        },
      );
    }
    return engineError(error, {
      prompt: request.prompt,
      model: request.model,
      baseURL: this.baseURL,
      apiKey: this.options.apiKey,
    });
  }

  /**
   * What the server says about the model beyond the response (see probeServer). Asked once per
   * model; an incomplete answer is forgotten, so the next asks again.
   */
  private serverIdentity(model: string): Promise<Probed> {
    let pending = this.identities.get(model);
    if (!pending) {
      const probed = this.dialect().then(
        (detected) => probeServer(this.baseURL, model, detected, this.options.apiKey),
        (): Probed => ({ found: {}, complete: false }),
      );
      this.identities.set(model, (pending = probed));
      void probed.then((p) => {
        if (!p.complete && this.identities.get(model) === probed) this.identities.delete(model);
      });
    }
    return pending;
  }
}

/** Aborts a request when the caller aborts, or when the server sends nothing for `idleMs`. */
class IdleWatchdog {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout | undefined;
  /** The server sent nothing for too long. */
  stalled = false;
  private readonly abort = () => this.controller.abort();

  constructor(
    private readonly idleMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    callerSignal?.addEventListener("abort", this.abort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Data arrived: the idle period starts again. */
  arm(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.stalled = true;
      this.controller.abort();
    }, this.idleMs);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener("abort", this.abort);
  }
}

interface StreamedAnswer {
  text: string;
  /** Undefined when the stream ended before the server said why the answer ended. */
  finishReason: string | undefined;
  chunks: number;
  usage: GenerationResult["usage"] | undefined;
  identity: ModelIdentity;
  /** The server's identity, asked once the answer started. */
  serverSays?: Promise<Probed>;
}

/** Streams an OpenAI chat completion as answer events. */
async function* openaiEvents(stream: AsyncIterable<OpenAI.ChatCompletionChunk>): AsyncGenerator<StreamEvent> {
  for await (const chunk of stream) {
    const event: StreamEvent = {
      model: chunk.model || undefined,
      systemFingerprint: chunk.system_fingerprint || undefined,
    };
    if (chunk.usage)
      event.usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
    const parts: string[] = [];
    for (const choice of chunk.choices ?? []) {
      if (choice.delta?.content) parts.push(choice.delta.content);
      // Reasoning travels apart from the answer (llama-server and vLLM: reasoning_content, Ollama
      // and gateways: reasoning): never answer text.
      const reasoning = choice.delta as { reasoning_content?: unknown; reasoning?: unknown } | undefined;
      const thinking = reasoning?.reasoning_content ?? reasoning?.reasoning;
      if (typeof thinking === "string" && thinking !== "") event.thinking = true;
      if (choice.finish_reason) event.finishReason = choice.finish_reason;
    }
    if (parts.length) event.text = parts.join("");
    yield event;
  }
}

/** Reads the streamed answer, reporting progress per piece of text. */
async function readAnswer(
  events: AsyncIterable<StreamEvent>,
  request: GenerationRequest,
  started: number,
  watchdog: IdleWatchdog,
  generateOptions: GenerateOptions,
  askServer: () => Promise<Probed>,
): Promise<StreamedAnswer> {
  const answer: StreamedAnswer = {
    text: "",
    finishReason: undefined,
    chunks: 0,
    usage: undefined,
    identity: { engine: "openai" },
  };
  for await (const event of events) {
    // Asked while the model streams its answer, so the answer never waits for it (it never rejects),
    // and not before the request: the first fetch of a process sets up node's HTTP client.
    answer.serverSays ??= askServer();
    watchdog.arm();
    if (event.model) answer.identity.model = event.model;
    if (event.systemFingerprint) answer.identity.systemFingerprint = event.systemFingerprint;
    if (event.usage) answer.usage = event.usage;
    if (event.text) answer.text += event.text;
    // Reasoning is never answer text, but it is progress: the model is at work.
    if (event.text || event.thinking) {
      answer.chunks++;
      generateOptions.onProgress?.({
        prompt: request.prompt,
        tokens: answer.chunks,
        elapsedMs: performance.now() - started,
      });
    }
    if (event.finishReason) answer.finishReason = event.finishReason;
  }
  return answer;
}

/**
 * What the server says about the model. `complete` is false when an endpoint could not answer
 * (network error, 5xx: llama-server answers 503 while the model loads), so the question is asked
 * again rather than recording a half identity.
 */
interface Probed {
  found: Record<string, string | number>;
  complete: boolean;
  /** llama-server's context size per slot (/props), for a message about an answer cut short. */
  contextSize?: number;
}

/**
 * The model's identity as the server reports it: for llama-server the file's name and size and the
 * model's metadata (/props, /v1/models), never the path it was started with, so `-m ./m.gguf` and
 * `-m /abs/m.gguf` are one engine; for Ollama the model's digest (/api/tags).
 */
async function probeServer(
  baseURL: string,
  model: string,
  detected: DetectedDialect,
  apiKey?: string,
): Promise<Probed> {
  const origin = originOf(baseURL);
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  let complete = true;
  const getJson = async (url: string) => {
    try {
      const response = await httpFetch(url, { headers, signal: AbortSignal.timeout(2000) });
      if (response.status >= 500) complete = false;
      return response.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
    } catch {
      complete = false;
      return undefined;
    }
  };
  const found: Probed["found"] = {};
  let contextSize: number | undefined;
  if (detected.dialect === "llama-server") {
    const [props, listed] = await Promise.all([
      detected.props ?? getJson(`${origin}/props`),
      getJson(`${baseURL}/models`),
    ]);
    const settings = props?.default_generation_settings as { n_ctx?: unknown } | undefined;
    if (typeof settings?.n_ctx === "number") contextSize = settings.n_ctx;
    // Only the file name: the lock holds no absolute paths.
    if (typeof props?.model_path === "string") found.modelFile = fileName(props.model_path);
    if (typeof props?.build_info === "string") found.buildInfo = props.build_info;
    const data = Array.isArray(listed?.data) ? (listed.data as Array<{ meta?: Record<string, unknown> }>) : [];
    const meta = data.length === 1 ? data[0].meta : undefined;
    if (typeof meta?.size === "number") found.modelSize = meta.size;
    if (typeof meta?.n_params === "number") found.modelParams = meta.n_params;
    if (typeof meta?.n_vocab === "number") found.modelVocab = meta.n_vocab;
    if (typeof meta?.ftype === "string") found.modelType = meta.ftype;
  } else if (detected.dialect === "ollama") {
    const tags = await getJson(`${origin}/api/tags`);
    const models = (tags?.models ?? []) as Array<{ name?: string; model?: string; digest?: string }>;
    const match = models.find((m) => m.name === model || m.model === model || m.name === `${model}:latest`);
    if (match?.digest) found.digest = match.digest;
  }
  return { found, complete, contextSize };
}

/** The last part of a path (llama-server reports the model as the path it was started with). */
export function fileName(path: string): string {
  return path.replace(/^.*[\\/]/, "");
}
