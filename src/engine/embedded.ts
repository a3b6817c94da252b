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
import { open, realpath, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ChatHistoryItem, ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaModel } from "node-llama-cpp";
import { PcError, isPcError } from "../errors.js";
import type { Engine, GenerateOptions, GenerationRequest, GenerationResult, ModelIdentity } from "./types.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");

export type EmbeddedLoadEvent =
  | { type: "download"; model: string; downloadedBytes: number; totalBytes: number }
  | { type: "loaded"; model: string; file: string; loadMs: number; threads: number; contextSize: number };

export interface EmbeddedEngineOptions {
  /** The project root: `gguf:<path>` refs are resolved against it and must stay inside it. */
  root: string;
  /** Threads per generation. Default: 1 for models under 256 MiB, else the machine's cores (see `defaultThreads`). */
  threads?: number;
  /** Context size in tokens. Default: 4096, or the model's training context if smaller. */
  contextSize?: number;
  /** Batch size for prompt evaluation. Default 512 (at most the context size). */
  batchSize?: number;
  /** Model download and load events. Without it, download progress is written to stderr. */
  onLoad?: (event: EmbeddedLoadEvent) => void;
}

const DEFAULT_CONTEXT_SIZE = 4096;
const DEFAULT_BATCH_SIZE = 512;
const SMALL_MODEL_BYTES = 256 * 1024 * 1024;
/** Chat templates that print "today's date" get this one, so an answer does not depend on the day. */
const PINNED_DATE = new Date("2025-01-01T00:00:00Z");

/**
 * The thread count when none is given. A small model does so little work per token that
 * synchronizing threads costs more than it saves (a 0.5 MB model: 35 ms for 40 tokens with one
 * thread, 0.8 s with two, 9.5 s with llama.cpp's default on two cores), so models under 256 MiB get
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

  function getRuntime(): Promise<Runtime> {
    runtime ??= acquireRuntime();
    return runtime.runtime;
  }

  function slotFor(ref: string): ModelSlot {
    let slot = slots.get(ref);
    if (!slot) {
      const loaded = getRuntime().then((current) => loadModel(current, ref, options));
      const created: ModelSlot = { loaded, tail: loaded };
      // A failed load (a missing file that the user then adds, an interrupted download) is retried next time.
      loaded.catch(() => slots.get(ref) === created && slots.delete(ref));
      slots.set(ref, created);
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
  await current?.llama.dispose();
}

/**
 * llama.cpp's latest error log lines: they say why a load failed, which its exceptions do not.
 * Module-wide, like the native logger.
 */
const llamaCppErrors: string[] = [];

async function loadRuntime(): Promise<Runtime> {
  let lib: NodeLlamaCpp;
  try {
    lib = await import("node-llama-cpp");
  } catch (cause) {
    throw new PcError("PC_EMBEDDED_UNAVAILABLE", "The embedded engine needs node-llama-cpp, which could not be loaded.", {
      hint: "Install it with `npm install node-llama-cpp`, or use a served model through the openai engine (--base-url).",
      cause,
    });
  }
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

/** Resolves a model ref to a local file: `gguf:<path>` inside the root, or `hf:<user>/<repo>/<file>.gguf`. */
async function resolveModelPath(lib: NodeLlamaCpp, ref: string, options: EmbeddedEngineOptions): Promise<{ file: string; absolute: string }> {
  if (ref.startsWith("gguf:")) {
    const relative = ref.slice("gguf:".length);
    const root = path.resolve(options.root);
    const absolute = path.resolve(root, relative);
    const file = path.relative(root, absolute).split(path.sep).join("/");
    const outside = (p: string) => p === ".." || p.startsWith(`..${path.sep}`) || path.isAbsolute(p);
    if (relative === "" || outside(path.relative(root, absolute))) {
      throw new PcError("PC_PATH_OUTSIDE_PROJECT", `The model file ${relative || "(empty)"} is outside the project.`, {
        key: "model",
        hint: "Put the GGUF file inside the project and refer to it relative to the root, e.g. `model: gguf:models/tiny.gguf`.",
      });
    }
    // A symlink may still point outside; only the real path decides.
    const realAbsolute = await realpath(absolute).catch(() => absolute);
    const realRoot = await realpath(root).catch(() => root);
    if (outside(path.relative(realRoot, realAbsolute))) {
      throw new PcError("PC_PATH_OUTSIDE_PROJECT", `The model file ${file} links outside the project.`, { file, key: "model" });
    }
    return { file, absolute };
  }
  if (ref.startsWith("hf:")) {
    if (!/^hf:[^/:\s]+\/[^/:\s]+\/[^:\s]+\.gguf(#[^\s]+)?$/i.test(ref)) {
      throw new PcError("PC_MODEL_INVALID", `The model ${ref} does not name one GGUF file.`, {
        key: "model",
        hint: "Pin the exact file so every build uses the same weights, e.g. `model: hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf`.",
      });
    }
    try {
      // Downloads into node-llama-cpp's user cache (~/.node-llama-cpp/models) once, then reuses it.
      const absolute = await lib.resolveModelFile(ref, {
        cli: false, // its CLI progress goes to stdout, which belongs to --json
        onProgress: ({ downloadedSize, totalSize }) => reportDownload(options, ref, downloadedSize, totalSize),
      });
      if (!options.onLoad) process.stderr.write("\n");
      return { file: ref, absolute };
    } catch (cause) {
      throw new PcError("PC_MODEL_NOT_FOUND", `Could not download the model ${ref}.`, {
        key: "model",
        hint: "Check the user, repository and file name on huggingface.co and the network; set HF_TOKEN for gated models. Offline, use a local file: `model: gguf:models/<file>.gguf`.",
        retryable: true,
        cause,
      });
    }
  }
  throw new PcError("PC_MODEL_INVALID", `The embedded engine cannot run the model ${ref}.`, {
    key: "model",
    hint: "Use a local file `gguf:<path>` or a Hugging Face file `hf:<user>/<repo>/<file>.gguf`; served model names need the openai engine (--base-url).",
  });
}

function reportDownload(options: EmbeddedEngineOptions, model: string, downloadedBytes: number, totalBytes: number): void {
  if (options.onLoad) {
    options.onLoad({ type: "download", model, downloadedBytes, totalBytes });
    return;
  }
  const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
  process.stderr.write(`\rdownloading ${model}: ${mb(downloadedBytes)} / ${mb(totalBytes)} MB`);
}

/** Fails with a clear message unless the file exists and starts with the GGUF magic. */
async function checkGguf(absolute: string, file: string): Promise<number> {
  const hint = "Point `model:` at a GGUF model file (llama.cpp format), e.g. `model: gguf:models/qwen2.5-coder-1.5b-q4_k_m.gguf`.";
  let handle;
  try {
    handle = await open(absolute, "r");
    const { size } = await handle.stat();
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    if (magic.toString("latin1") !== "GGUF") {
      throw new PcError("PC_MODEL_INVALID", `${file} is not a GGUF model file.`, { file, key: "model", hint });
    }
    return size;
  } catch (cause) {
    if (isPcError(cause)) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory" : "cannot be read";
    throw new PcError("PC_MODEL_INVALID", `The model file ${file} ${what}.`, { file, key: "model", hint, cause });
  } finally {
    await handle?.close();
  }
}

async function loadModel(runtime: Runtime, ref: string, options: EmbeddedEngineOptions): Promise<LoadedModel> {
  const { lib, llama, version } = runtime;
  const started = performance.now();
  const { file, absolute } = await resolveModelPath(lib, ref, options);
  const size = await checkGguf(absolute, file);
  let model: LlamaModel;
  try {
    llamaCppErrors.length = 0;
    model = await llama.loadModel({ modelPath: absolute, gpuLayers: 0, useMlock: false });
  } catch (cause) {
    const reason = (await llamaCppReason()) ?? firstLine(cause);
    throw new PcError("PC_MODEL_INVALID", `llama.cpp could not load ${file}: ${reason.split(absolute).join(file)}`, {
      file,
      key: "model",
      hint: "The file may be truncated or made for a newer llama.cpp; download it again or pick another model.",
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
      llamaCppBuild: llama.llamaCppRelease.release,
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
      hint: "Lower the context size (contextSize) or free memory.",
      cause,
    });
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

async function generateOn(loaded: LoadedModel, request: GenerationRequest, options: GenerateOptions): Promise<GenerationResult> {
  const { lib, model, chatWrapper, sequence, identity } = loaded;
  const started = performance.now();
  const contextSize = identity.contextSize as number;
  const history: ChatHistoryItem[] = [
    ...request.messages.map((m): ChatHistoryItem => (m.role === "system" ? { type: "system", text: m.content } : { type: "user", text: m.content })),
    { type: "model", response: [] },
  ];
  const chat = new lib.LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
  try {
    const promptTokens = chat.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length;
    const room = contextSize - promptTokens;
    if (room <= 0) {
      throw new PcError("PC_CONTEXT_EXCEEDED", `The prompt is ${promptTokens} tokens; the model's context holds ${contextSize}.`, {
        file: request.prompt,
        hint: "Shorten the prompt or its context files, or raise the embedded engine's context size.",
      });
    }
    const maxTokens = Math.min(request.maxTokens ?? room, room);
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
      topP: request.topP,
      topK: request.topK ?? 0, // 0: no top-k cut (node-llama-cpp would default to 40)
      minP: 0,
      repeatPenalty: false, // not a pin of the request, so not applied
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
      durationMs: performance.now() - started,
      identity: { ...identity },
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
    throw new PcError("PC_ABORTED", `Generation of ${prompt} was aborted.`, { file: prompt, cause: cause ?? signal.reason });
  }
}

/** Rejects as soon as `signal` aborts, without waiting for `promise` (which still settles on its own). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined, prompt: string): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new PcError("PC_ABORTED", `Generation of ${prompt} was aborted.`, { file: prompt, cause: signal.reason }));
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
  const lines = llamaCppErrors.splice(0).map((l) => l.replace(/^.*error loading model:\s*/, "").replace(/^\w+:\s*/, ""));
  // "failed to load model from <file>" says nothing new; the line before it says why.
  return lines.find((l) => !l.startsWith("failed to load model")) ?? lines[0];
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
