/**
 * The embedded engine: a GGUF model run in-process by llama.cpp (node-llama-cpp), no server.
 *
 * Reproducibility is the point of this engine, so everything that could change the bytes is
 * pinned: CPU only, one sequence per model and one generation at a time on it, the KV cache
 * cleared before every generation (so a prompt's answer never depends on what ran before it in
 * the process), a fixed context and batch size, every sampling option set explicitly, and dates
 * that chat templates would take from the clock fixed.
 *
 * node-llama-cpp is imported lazily, on the first generation, so `pc --help` never loads it.
 */
import os from "node:os";
import path from "node:path";
import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
} from "node-llama-cpp";
import { PcError, isPcError } from "../util/errors.js";
import type { DownloadEvent } from "./hf-download.js";
import { checkGguf, resolveModelPath, streamSha256 } from "./model-file.js";
import { embeddedSamplerOptions } from "./samplers.js";
import type { Engine, GenerateOptions, GenerationRequest, GenerationResult, ModelIdentity } from "./types.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");

export type EmbeddedLoadEvent =
  DownloadEvent | { type: "loaded"; model: string; file: string; loadMs: number; threads: number; contextSize: number };

export interface EmbeddedEngineOptions {
  /** The project root: a relative `gguf:<path>` is looked up there, then in `modelsDir`. */
  root: string;
  /** The models folder of pc.config.json (relative to the root, `~/` or absolute). */
  modelsDir?: string;
  /** Threads per generation. Default: 1 for models under 256 MiB, else the machine's cores (see `defaultThreads`). */
  threads?: number;
  /** Context size in tokens. Default: 4096, or the model's training context if smaller. */
  contextSize?: number;
  /** Batch size for prompt evaluation. Default 512 (at most the context size). */
  batchSize?: number;
  /** Model download and load events. Without it, download progress is written to stderr. */
  onLoad?: (event: EmbeddedLoadEvent) => void;
  /**
   * Hashes a model file (absolute path) to `sha256:<hex>` for the identity. A build passes its
   * file-hash cache, so a multi-gigabyte model is not read again while its size and mtime hold.
   * Default: stream the file once per load.
   */
  hashFile?: (absolute: string) => Promise<string | undefined>;
}

const DEFAULT_CONTEXT_SIZE = 4096;
const DEFAULT_BATCH_SIZE = 512;
const SMALL_MODEL_BYTES = 256 * 1024 * 1024;
/** Chat templates that print "today's date" get this one, so an answer does not depend on the day. */
const PINNED_DATE = new Date("2025-01-01T00:00:00Z");

/**
 * The thread count when none is given. A small model does so little work per token that
 * synchronizing threads costs more than it saves (a tiny model is many times slower with two
 * threads than with one, and slower still with llama.cpp's default), so models under 256 MiB get
 * one thread; larger ones get one thread per core that llama.cpp finds useful for math (physical
 * cores), at most `os.availableParallelism()`. The output is the same for any thread count; only
 * the speed changes.
 */
export function defaultThreads(modelBytes: number, cpuMathCores: number): number {
  if (modelBytes < SMALL_MODEL_BYTES) return 1;
  const cores = os.availableParallelism();
  return Math.max(1, cpuMathCores > 0 ? Math.min(cpuMathCores, cores) : cores);
}

interface LoadedModel {
  lib: NodeLlamaCpp;
  model: LlamaModel;
  chatWrapper: ChatWrapper;
  context: LlamaContext;
  sequence: LlamaContextSequence;
  identity: ModelIdentity;
}

/** One model: loaded once, then generations run one at a time in arrival order. */
interface ModelSlot {
  loaded: Promise<LoadedModel>;
  tail: Promise<unknown>;
}

export function createEmbeddedEngine(options: EmbeddedEngineOptions): Engine {
  let runtime: SharedRuntime | undefined;
  const slots = new Map<string, ModelSlot>();
  let closed = false;
  /** Aborted by close(): a model download still under way stops (a build stopped by Ctrl-C must not wait for gigabytes). */
  const lifetime = new AbortController();

  function getRuntime(): Promise<Runtime> {
    runtime ??= acquireRuntime();
    return runtime.runtime;
  }

  function slotFor(ref: string): ModelSlot {
    // `gguf:./models/a.gguf` and `gguf:models/a.gguf` are one model: loaded once, one generation at a time.
    const key = ref.startsWith("gguf:") ? `gguf:${path.posix.normalize(ref.slice(5).replace(/\\/g, "/"))}` : ref;
    let slot = slots.get(key);
    if (!slot) {
      // The file first (an offline download fails in seconds), then llama.cpp, which takes a while to start.
      const loaded = locateModel(ref, options, lifetime.signal).then((file) =>
        getRuntime().then((current) => loadModel(current, ref, file, options)),
      );
      const created: ModelSlot = { loaded, tail: loaded };
      // A failed load (a missing file that the user then adds, an interrupted download) is retried next time.
      loaded.catch(() => slots.get(key) === created && slots.delete(key));
      slots.set(key, created);
      slot = created;
    }
    return slot;
  }

  return {
    kind: "embedded",
    describe: (model) => `model "${model}" (embedded llama.cpp)`,
    async generate(request, generateOptions = {}) {
      if (closed) throw new PcError("PC_ENGINE_ERROR", "The embedded engine was already closed.");
      const { signal } = generateOptions;
      throwIfAborted(signal, request.prompt);
      const slot = slotFor(request.model);
      const turn = slot.tail.then(async () => {
        throwIfAborted(signal, request.prompt);
        return generateOn(await slot.loaded, request, generateOptions);
      });
      slot.tail = turn.catch(() => undefined);
      return abortable(turn, signal, request.prompt);
    },
    async close() {
      closed = true;
      lifetime.abort(new Error("the engine was closed"));
      await Promise.allSettled([...slots.values()].map((slot) => slot.tail));
      for (const slot of slots.values()) {
        const loaded = await slot.loaded.catch(() => undefined);
        await loaded?.context.dispose();
        await loaded?.model.dispose();
      }
      slots.clear();
      if (runtime) await releaseRuntime(runtime);
      runtime = undefined;
    },
  };
}

interface Runtime {
  lib: NodeLlamaCpp;
  llama: Llama;
  version: string;
  /**
   * A model failed to load on it. node-llama-cpp 3 then keeps a hold on the runtime that nothing
   * releases once the failed model is garbage-collected, and disposing the runtime would wait for
   * it forever; such a runtime is left to the end of the process instead.
   */
  failedLoad?: boolean;
}

/**
 * One llama.cpp runtime per process, shared by the engines that are open: the native addon and its
 * logger are process-wide anyway, and starting it costs about a second. Models and contexts are not
 * shared; each engine loads its own. The last engine to close disposes the runtime.
 */
interface SharedRuntime {
  runtime: Promise<Runtime>;
  users: number;
}
let sharedRuntime: SharedRuntime | undefined;

function acquireRuntime(): SharedRuntime {
  if (!sharedRuntime) {
    const created: SharedRuntime = { runtime: loadRuntime(), users: 0 };
    // A failed start (node-llama-cpp missing) is tried again by the next engine.
    created.runtime.catch(() => sharedRuntime === created && (sharedRuntime = undefined));
    sharedRuntime = created;
  }
  sharedRuntime.users++;
  return sharedRuntime;
}

async function releaseRuntime(shared: SharedRuntime): Promise<void> {
  if (--shared.users > 0) return;
  if (sharedRuntime === shared) sharedRuntime = undefined;
  const current = await shared.runtime.catch(() => undefined);
  if (!current?.failedLoad) await current?.llama.dispose();
}

/**
 * llama.cpp's latest error log lines: they say why a load failed, which its exceptions do not.
 * Module-wide, like the native logger.
 */
const llamaCppErrors: string[] = [];

/** node-llama-cpp's module (not yet llama.cpp itself). */
async function importLib(): Promise<NodeLlamaCpp> {
  try {
    return await import("node-llama-cpp");
  } catch (cause) {
    throw new PcError(
      "PC_EMBEDDED_UNAVAILABLE",
      "The embedded engine needs node-llama-cpp, which could not be loaded.",
      {
        hint: "Install it with `npm install node-llama-cpp`, or use a served model through the openai engine (--base-url).",
        cause,
      },
    );
  }
}

async function loadRuntime(): Promise<Runtime> {
  const lib = await importLib();
  try {
    const llama = await lib.getLlama({
      gpu: false, // CPU only: GPU kernels are not bit-reproducible across devices and drivers
      build: "never", // use the prebuilt binary; never download or compile llama.cpp at run time
      skipDownload: true,
      maxThreads: 0, // no pool limit: each context gets exactly the threads it asks for
      logLevel: lib.LlamaLogLevel.error,
      logger: (level, message) => {
        if (level === lib.LlamaLogLevel.fatal) process.stderr.write(`[llama.cpp] ${message.trimEnd()}\n`);
        else if (level === lib.LlamaLogLevel.error && llamaCppErrors.push(message.trim()) > 10) llamaCppErrors.shift();
      },
    });
    return { lib, llama, version: await lib.getModuleVersion() };
  } catch (cause) {
    throw new PcError("PC_EMBEDDED_UNAVAILABLE", "node-llama-cpp found no usable llama.cpp binary for this machine.", {
      hint: "Reinstall with `npm ci` so its prebuilt binaries (@node-llama-cpp/*) are present, or use the openai engine.",
      cause,
    });
  }
}

/** The model's file on this machine, downloaded first for an `hf:` model that is not there yet. */
async function locateModel(
  ref: string,
  options: EmbeddedEngineOptions,
  signal: AbortSignal,
): Promise<{ file: string; absolute: string }> {
  return resolveModelPath(await importLib(), ref, options, (event) => reportDownload(options, event), signal);
}

async function loadModel(
  runtime: Runtime,
  ref: string,
  { file, absolute }: { file: string; absolute: string },
  options: EmbeddedEngineOptions,
): Promise<LoadedModel> {
  const { lib, llama, version } = runtime;
  const started = performance.now();
  const size = await checkGguf(absolute, file);
  // Hashed while llama.cpp loads the file: both read it, and the page cache serves the second.
  const fileHash = (options.hashFile ?? streamSha256)(absolute);
  fileHash.catch(() => {}); // awaited below, after a failed load has been reported
  const model = await loadWeights(runtime, absolute, file);
  let hash: string | undefined;
  try {
    hash = await fileHash;
  } catch (cause) {
    await model.dispose();
    throw new PcError("PC_MODEL_INVALID", `The model file ${file} cannot be read: ${firstLine(cause)}`, {
      file,
      key: "model",
      cause,
    });
  }
  try {
    const threads = options.threads ?? defaultThreads(size, llama.cpuMathCores);
    const contextSize = options.contextSize ?? Math.min(DEFAULT_CONTEXT_SIZE, model.trainContextSize);
    const batchSize = Math.min(options.batchSize ?? DEFAULT_BATCH_SIZE, contextSize);
    const context = await model.createContext({
      contextSize,
      batchSize,
      sequences: 1,
      threads: { ideal: threads, min: threads },
      flashAttention: false,
      failedCreationRemedy: false, // never shrink the context silently: its size is part of the identity
    });
    const chatWrapper = chatWrapperFor(lib, model);
    const identity: ModelIdentity = {
      engine: "embedded",
      model: ref,
      file,
      fileHash: hash,
      llamaCppBuild: llama.llamaCppRelease.release,
      cpu: cpuFeatures(llama.systemInfo),
      nodeLlamaCpp: version,
      chatWrapper: chatWrapper.wrapperName,
      contextSize,
      batchSize,
      threads,
    };
    options.onLoad?.({ type: "loaded", model: ref, file, loadMs: performance.now() - started, threads, contextSize });
    return { lib, model, chatWrapper, context, sequence: context.getSequence(), identity };
  } catch (cause) {
    await model.dispose();
    throw new PcError("PC_ENGINE_ERROR", `Could not create a llama.cpp context for ${file}: ${firstLine(cause)}`, {
      file,
      hint: "Lower the context size (contextSize in pc.config.json) or free memory.",
      cause,
    });
  }
}

/** Download progress goes to the listener, or to stderr (never stdout: it may carry --json). */
function reportDownload(options: EmbeddedEngineOptions, event: Extract<EmbeddedLoadEvent, { type: "download" }>): void {
  if (options.onLoad) {
    options.onLoad(event);
    return;
  }
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  if (event.phase !== "downloading")
    return void process.stderr.write(`${event.phase} ${event.host} for ${event.model}\n`);
  process.stderr.write(`\rdownloading ${event.model}: ${mb(event.downloadedBytes)} / ${mb(event.totalBytes)} MB`);
  if (event.totalBytes > 0 && event.downloadedBytes >= event.totalBytes) process.stderr.write("\n");
}

/**
 * The CPU features llama.cpp's kernels use ("AVX2 F16C FMA ..."): another instruction set picks
 * other kernels, which may round differently, so it is part of the identity.
 */
function cpuFeatures(systemInfo: string): string {
  return [...systemInfo.matchAll(/([A-Z][A-Z0-9_]*) = 1\b/g)].map((m) => m[1]).join(" ");
}

/** Loads the weights on the CPU; a failure says why, in llama.cpp's words. */
async function loadWeights(runtime: Runtime, absolute: string, file: string): Promise<LlamaModel> {
  const { lib, llama } = runtime;
  try {
    llamaCppErrors.length = 0;
    return await llama.loadModel({ modelPath: absolute, gpuLayers: 0, useMlock: false });
  } catch (cause) {
    runtime.failedLoad = true;
    const memory = cause instanceof lib.InsufficientMemoryError;
    const reason = (memory ? undefined : await llamaCppReason()) ?? firstLine(cause);
    throw new PcError("PC_MODEL_INVALID", `llama.cpp could not load ${file}: ${reason.split(absolute).join(file)}`, {
      file,
      key: "model",
      hint: memory
        ? "The model does not fit in the free memory: close other programs, or pick a smaller model or quantization."
        : "The file may be truncated or made for a newer llama.cpp; download it again or pick another model.",
      cause,
    });
  }
}

/**
 * Starts llama.cpp the way a build does: node-llama-cpp is installed and has a binary for this
 * machine. For `pc doctor`; the runtime stays up (for checkEmbeddedModel) until `release`.
 */
export async function checkEmbeddedRuntime(): Promise<{
  nodeLlamaCpp: string;
  llamaCppBuild: string;
  release: () => Promise<void>;
}> {
  const shared = acquireRuntime();
  const release = () => releaseRuntime(shared);
  try {
    const { llama, version } = await shared.runtime;
    return { nodeLlamaCpp: version, llamaCppBuild: llama.llamaCppRelease.release, release };
  } catch (error) {
    await release();
    throw error;
  }
}

/**
 * Loads a model the way a build does (CPU, no context) and releases it. For `pc doctor`: it never
 * downloads, so an `hf:` model missing from the cache fails with PC_MODEL_NOT_FOUND.
 */
export async function checkEmbeddedModel(
  ref: string,
  options: { root: string; modelsDir?: string },
): Promise<{ file: string; bytes: number }> {
  const shared = acquireRuntime();
  try {
    const runtime = await shared.runtime;
    const { file, absolute } = await resolveModelPath(runtime.lib, ref, options, undefined);
    const bytes = await checkGguf(absolute, file);
    await (await loadWeights(runtime, absolute, file)).dispose();
    return { file, bytes };
  } finally {
    await releaseRuntime(shared);
  }
}

/**
 * The model's own chat template when it has one (the answer quality depends on it), else
 * node-llama-cpp's fixed general wrapper. Either way the wrapper is a pure function of the model
 * file and the node-llama-cpp version, and both are recorded in the identity.
 */
function chatWrapperFor(lib: NodeLlamaCpp, model: LlamaModel) {
  const todayDate = PINNED_DATE;
  return lib.resolveChatWrapper(model, {
    warningLogs: false,
    customWrapperSettings: {
      "llama3.1": { todayDate },
      "llama3.2-lightweight": { todayDate },
      harmony: { todayDate },
      muse: { todayDate },
      jinjaTemplate: { additionalRenderParameters: { date_string: "01 Jan 2025" } },
    },
  });
}

async function generateOn(
  loaded: LoadedModel,
  request: GenerationRequest,
  options: GenerateOptions,
): Promise<GenerationResult> {
  const { lib, model, chatWrapper, sequence, identity } = loaded;
  const started = performance.now();
  const contextSize = identity.contextSize as number;
  const history: ChatHistoryItem[] = [
    ...request.messages.map((m): ChatHistoryItem =>
      m.role === "system" ? { type: "system", text: m.content } : { type: "user", text: m.content },
    ),
    { type: "model", response: [] },
  ];
  const chat = new lib.LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
  try {
    const promptTokens = chat.chatWrapper
      .generateContextState({ chatHistory: history })
      .contextText.tokenize(model.tokenizer).length;
    const room = contextSize - promptTokens;
    if (room <= 0) {
      throw new PcError(
        "PC_CONTEXT_EXCEEDED",
        `The prompt is ${promptTokens} tokens; the model's context holds ${contextSize}.`,
        {
          file: request.prompt,
          hint: "Shorten the prompt or its context files, or raise contextSize in pc.config.json (up to the model's own limit).",
        },
      );
    }
    const maxTokens = Math.min(request.maxTokens ?? room, room);
    const samplerOptions = embeddedSamplerOptions(request.sampler, request.prompt);
    // Every generation starts from an empty KV cache, so it never depends on earlier ones.
    await sequence.clearHistory();
    // Streamed chunks hold back tokens that end in an incomplete UTF-8 sequence or could start a
    // stop string, so the sequence's token meter is what counts the tokens actually generated.
    const outputBefore = sequence.tokenMeter.usedOutputTokens;
    let streamedTokens = 0;
    const progress = (tokens: number) =>
      options.onProgress?.({ prompt: request.prompt, tokens, elapsedMs: performance.now() - started });
    const response = await chat.generateResponse(history, {
      signal: options.signal,
      stopOnAbortSignal: false,
      maxTokens,
      seed: request.seed,
      temperature: request.temperature, // 0 means greedy: the seed then has no effect
      ...samplerOptions,
      customStopTriggers: request.stop?.length ? request.stop : undefined,
      onResponseChunk: (chunk) => {
        streamedTokens += chunk.tokens.length;
        progress(streamedTokens);
      },
    });
    throwIfAborted(options.signal, request.prompt);
    const completionTokens = sequence.tokenMeter.usedOutputTokens - outputBefore;
    if (completionTokens !== streamedTokens) progress(completionTokens);
    return {
      text: response.response,
      finishReason: response.metadata.stopReason === "maxTokens" ? "length" : "stop",
      usage: { promptTokens, completionTokens },
      durationMs: Math.round(performance.now() - started),
      // The sampler is the request's (recorded in the lock's sampling); the identity is the model's.
      identity: { ...identity, model: request.model },
    };
  } catch (cause) {
    if (isPcError(cause)) throw cause;
    throwIfAborted(options.signal, request.prompt, cause);
    throw new PcError("PC_ENGINE_ERROR", `llama.cpp failed while generating ${request.prompt}: ${firstLine(cause)}`, {
      file: request.prompt,
      cause,
    });
  } finally {
    chat.dispose();
  }
}

function throwIfAborted(signal: AbortSignal | undefined, prompt: string, cause?: unknown): void {
  if (signal?.aborted) {
    throw new PcError("PC_ABORTED", `Generation of ${prompt} was aborted.`, {
      file: prompt,
      cause: cause ?? signal.reason,
    });
  }
}

/** Rejects as soon as `signal` aborts, without waiting for `promise` (which still settles on its own). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, prompt: string): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(new PcError("PC_ABORTED", `Generation of ${prompt} was aborted.`, { file: prompt, cause: signal.reason }));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** The most telling llama.cpp error line logged since the errors were last cleared. */
async function llamaCppReason(): Promise<string | undefined> {
  // The native logger reaches JavaScript through a queue, often after the failing call returned;
  // llama.cpp's last line on a failed load is "... failed to load model", so wait for it (briefly).
  for (let waited = 0; waited < 500 && !llamaCppErrors.some((l) => l.includes("failed to load model")); waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const lines = llamaCppErrors
    .splice(0)
    .map((l) => l.replace(/^.*error loading model:\s*/, "").replace(/^\w+:\s*/, ""));
  // "failed to load model from <file>" says nothing new; the line before it says why.
  return lines.find((l) => !l.startsWith("failed to load model")) ?? lines[0];
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
