import type OpenAI from "openai";
import { PcError } from "../util/errors.js";
import { requireCjs } from "../util/require-cjs.js";
import { engineError } from "./openai-errors.js";
import { DEFAULT_RETRY, withRetries, type RetryPolicy } from "./retry.js";
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
  const baseURL = options.baseURL.replace(/\/+$/, "");
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  let client: Promise<OpenAI> | undefined;
  const identities = new Map<string, Promise<Probed>>();

  const getClient = () =>
    (client ??= Promise.resolve().then(() => {
      const { default: OpenAIClient } = requireCjs("openai") as typeof import("openai"); // see requireCjs
      // Retries are ours (they also cover streams cut mid-answer); the idle timer replaces the total timeout.
      // logLevel "off": the client would otherwise print unparsable chunks (and, with OPENAI_LOG, requests) to stderr.
      return new OpenAIClient({ baseURL, apiKey: options.apiKey || "no-key", maxRetries: 0, timeout: 24 * 3600_000, logLevel: "off" });
    }));

  async function attempt(request: GenerationRequest, generateOptions: GenerateOptions): Promise<GenerationResult> {
    const openai = await getClient();
    // An abort that came before the listener below is attached would otherwise go unnoticed.
    if (generateOptions.signal?.aborted) throw new PcError("PC_ABORTED", "interrupted", { file: request.prompt });
    const started = performance.now();
    const controller = new AbortController();
    const abort = () => controller.abort();
    generateOptions.signal?.addEventListener("abort", abort, { once: true });
    let idle: NodeJS.Timeout | undefined;
    let stalled = false;
    const armIdle = () => {
      clearTimeout(idle);
      idle = setTimeout(() => {
        stalled = true;
        controller.abort();
      }, idleTimeoutMs);
    };
    const where = { prompt: request.prompt, model: request.model, baseURL, apiKey: options.apiKey };
    let serverSays: Promise<Probed> | undefined;
    try {
      armIdle();
      const body = {
        model: request.model,
        messages: request.messages,
        seed: request.seed,
        temperature: request.temperature,
        top_p: request.topP,
        ...(request.topK !== undefined ? { top_k: request.topK } : {}),
        ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
        ...(request.stop !== undefined ? { stop: request.stop } : {}),
        // llama-server reuses cached prompt state otherwise, which changes results for a fixed seed.
        cache_prompt: false,
        stream: true as const,
        stream_options: { include_usage: true },
      };
      const stream = await openai.chat.completions.create(body as OpenAI.ChatCompletionCreateParamsStreaming, {
        signal: controller.signal,
      });
      // Asked while the model streams its answer, so the answer never waits for it (it never rejects),
      // and not before the request: the first fetch of a process sets up node's HTTP client (~40 ms).
      serverSays = serverIdentity(request.model);
      let text = "";
      let finishReason: string | undefined;
      let chunks = 0;
      let usage: GenerationResult["usage"] | undefined;
      const identity: ModelIdentity = { engine: "openai" };
      for await (const chunk of stream) {
        armIdle();
        if (chunk.model) identity.model = chunk.model;
        if (chunk.system_fingerprint) identity.systemFingerprint = chunk.system_fingerprint;
        if (chunk.usage) usage = { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
        for (const choice of chunk.choices ?? []) {
          const delta = choice.delta?.content;
          if (delta) {
            text += delta;
            chunks++;
            generateOptions.onProgress?.({ prompt: request.prompt, tokens: chunks, elapsedMs: performance.now() - started });
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
      }
      if (!finishReason) {
        throw new PcError("PC_ENGINE_ERROR", `model "${request.model}" at ${baseURL}: the answer stream ended before the answer was complete`, {
          file: request.prompt,
          hint: "The connection was cut mid-answer; it is retried.",
          retryable: true,
        });
      }
      // A server that could not say (llama-server answers 503 while loading) is asked once more.
      let said = await serverSays!;
      if (!said.complete) said = await serverIdentity(request.model);
      Object.assign(identity, said.found);
      return {
        text,
        finishReason,
        usage: usage ?? { promptTokens: 0, completionTokens: chunks },
        durationMs: Math.round(performance.now() - started),
        identity,
      };
    } catch (error) {
      if (generateOptions.signal?.aborted) throw new PcError("PC_ABORTED", "interrupted", { file: request.prompt });
      if (stalled) {
        throw new PcError("PC_ENGINE_TIMEOUT", `model "${request.model}" at ${baseURL}: no data for ${Math.round(idleTimeoutMs / 1000)} s`, {
          file: request.prompt,
          hint: "The server stalled; it is retried. Raise the limit with --timeout <seconds> if the model is just slow.",
          retryable: true,
        });
      }
      throw engineError(error, where);
    } finally {
      clearTimeout(idle);
      generateOptions.signal?.removeEventListener("abort", abort);
    }
  }

  /**
   * What the server says about the model beyond the response: llama-server /props, Ollama
   * /api/tags. Asked once per model; an incomplete answer is forgotten, so the next asks again.
   */
  function serverIdentity(model: string): Promise<Probed> {
    let pending = identities.get(model);
    if (!pending) {
      const probed = probeServer(baseURL, model, options.apiKey);
      identities.set(model, (pending = probed));
      void probed.then((p) => {
        if (!p.complete && identities.get(model) === probed) identities.delete(model);
      });
    }
    return pending;
  }

  // Once retries have shown that no server is listening, later prompts try once instead of each
  // waiting through the whole backoff again; one success clears it.
  let unreachable = false;

  return {
    kind: "openai",
    describe: (model) => `model "${model}" at ${baseURL}`,
    async generate(request, generateOptions = {}) {
      const policy = options.retry ?? DEFAULT_RETRY;
      try {
        const result = await withRetries(
          unreachable ? { ...policy, retries: 0 } : policy,
          generateOptions.signal,
          () => attempt(request, generateOptions),
          (error, delay, n) => options.onRetry?.(request.prompt, error, delay, n),
        );
        unreachable = false;
        return result;
      } catch (error) {
        if (error instanceof PcError && error.code === "PC_ENGINE_UNREACHABLE") unreachable = true;
        throw error;
      }
    },
    async close() {},
  };
}

/**
 * Asks llama-server's /props and Ollama's /api/tags about the model. `complete` is false when an
 * endpoint could not answer (network error, 5xx: llama-server answers 503 while the model loads),
 * so the question is asked again rather than recording a half identity.
 */
interface Probed {
  found: Record<string, string>;
  complete: boolean;
}

async function probeServer(baseURL: string, model: string, apiKey?: string): Promise<Probed> {
  const origin = baseURL.replace(/\/v1$/, "");
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  let complete = true;
  const getJson = async (url: string) => {
    try {
      const response = await fetch(url, { headers, signal: AbortSignal.timeout(2000) });
      if (response.status >= 500) complete = false;
      return response.ok ? ((await response.json()) as Record<string, unknown>) : undefined;
    } catch {
      complete = false;
      return undefined;
    }
  };
  const found: Record<string, string> = {};
  const [props, tags] = await Promise.all([getJson(`${origin}/props`), getJson(`${origin}/api/tags`)]);
  if (props) {
    // Only the file name: the lock holds no absolute paths.
    if (typeof props.model_path === "string") found.modelFile = props.model_path.split(/[\\/]/).pop()!;
    if (typeof props.build_info === "string") found.buildInfo = props.build_info;
  }
  const models = (tags?.models ?? []) as Array<{ name?: string; model?: string; digest?: string }>;
  const match = models.find((m) => m.name === model || m.model === model || m.name === `${model}:latest`);
  if (match?.digest) found.digest = match.digest;
  return { found, complete };
}
