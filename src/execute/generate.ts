import { GenerationStore, type Generation } from "../cache/store.js";
import { PcError } from "../util/errors.js";
import { samplerFrom } from "../engine/samplers.js";
import type { EnginePool } from "../engine/engine-factory.js";
import type { GenerateOptions, GenerationRequest, GenerationResult } from "../engine/types.js";
import { knownVerdict } from "./checks.js";
import { extractOutputs } from "../answer/extract.js";
import { mayFormat, type Formatter } from "../answer/format.js";
import { samplingOf } from "../plan/hash.js";
import type { ParsedPrompt } from "../prompt/frontmatter.js";
import { parseLoaded, type HashedPrompt, type RenderedStage } from "../plan/project.js";
import { containsSecret, redact, redactDeep } from "../util/redact.js";

/** Applies post-processing to an answer: extract the code, then format it. Never calls a model. */
export async function postProcess(
  parsed: ParsedPrompt,
  raw: string,
  formatter: Formatter,
): Promise<Record<string, string>> {
  return formatOutputs(parsed, extract(parsed, raw), formatter);
}

/** The code of each output in an answer; fails when the answer has none for one, or holds a secret. */
function extract(parsed: ParsedPrompt, raw: string): Record<string, string> {
  // A secret in an answer would end up in a generated file, the cache and the lock's hashes: refused.
  if (containsSecret(raw)) {
    throw new PcError(
      "PC_SECRET_REFUSED",
      "the answer contains the API key (PC_API_KEY) or a credential of the base URL; nothing was written",
      {
        file: parsed.path,
        hint: "pc never writes a secret to a file. The server echoed it into the answer: check the server or gateway (a prompt that asks for the key gets it refused too).",
      },
    );
  }
  return extractOutputs(raw, parsed.outputs, parsed.frontmatter.extract ?? "fenced");
}

async function formatOutputs(
  parsed: ParsedPrompt,
  extracted: Record<string, string>,
  formatter: Formatter,
): Promise<Record<string, string>> {
  if (parsed.frontmatter.format === false) return extracted;
  const formatted: Record<string, string> = {};
  for (const [file, code] of Object.entries(extracted)) formatted[file] = await formatter.format(file, code);
  return formatted;
}

export function requestOf(loaded: RenderedStage): GenerationRequest {
  const fm = loaded.parsed.frontmatter;
  const sampling = samplingOf(loaded.parsed);
  return {
    prompt: loaded.prompt,
    model: fm.model,
    messages: loaded.rendered.messages,
    seed: fm.seed,
    temperature: fm.temperature,
    sampler: samplerFrom(sampling),
    think: sampling.think,
    numCtx: sampling.num_ctx,
    maxTokens: sampling.max_tokens,
    stop: sampling.stop,
  };
}

export interface Produced {
  source: "llm" | "cache";
  generation: Generation;
  outputs: Record<string, string>;
}

export interface ProduceOptions extends GenerateOptions {
  root: string;
  /** Formats the outputs (one per run of a command). */
  formatter: Formatter;
  /**
   * Where earlier generations are read from (with `cache`) and failed answers are kept. Without
   * it (pc verify) nothing is read from or written to .pc/.
   */
  store?: GenerationStore;
  engines: EnginePool;
  /** Read the cache. */
  cache: boolean;
  /** Only restores from the cache are allowed. */
  offline: boolean;
}

/**
 * The outputs a cached generation gives under the prompt's current post-processing, or undefined
 * when it no longer fits (its answer has no code for the current extraction). Never calls a model.
 */
export async function restoreOutputs(
  root: string,
  loaded: HashedPrompt,
  generation: Generation,
  formatter: Formatter,
): Promise<Record<string, string> | undefined> {
  // The cache is read back from disk and may come from elsewhere: it gives exactly the prompt's
  // outputs (the paths the prompt names, checked when it was read), as text, or nothing.
  const stored = fitsOutputs(loaded.outputs, generation.outputs);
  if (generation.source === "hand") return stored; // bytes edited by hand are data: no post-processing
  // The same request under the same post-processing settings (the input hash covers both): the
  // bytes written then are what extraction gives now, unless a formatter, whose configuration
  // files are no input, gets to them.
  if (stored && generation.inputHash === loaded.hashes.inputHash && !loaded.outputs.some(mayFormat)) return stored;
  const parsed = await parseLoaded(root, loaded);
  let extracted: Record<string, string>;
  try {
    extracted = extract(parsed, generation.raw);
  } catch (error) {
    if (error instanceof PcError) return undefined;
    throw error;
  }
  // A formatter that cannot run fails the prompt here too: asking the model again would not help.
  return formatOutputs(parsed, extracted, formatter);
}

/** The stored outputs, if they are exactly `expected`, each with text. */
function fitsOutputs(expected: string[], outputs: Record<string, unknown>): Record<string, string> | undefined {
  const stored = Object.keys(outputs);
  if (stored.length !== expected.length || !expected.every((o) => typeof outputs[o] === "string")) return undefined;
  return Object.fromEntries(expected.map((o) => [o, outputs[o] as string]));
}

/** The outputs of the newest cached generation of the same request that still fits; never calls a model. */
export async function restore(
  loaded: HashedPrompt,
  options: { root: string; store: GenerationStore; formatter: Formatter },
): Promise<Produced | undefined> {
  let failing: Produced | undefined;
  for (const cached of await options.store.list(loaded.hashes.requestHash)) {
    const outputs = await restoreOutputs(options.root, loaded, cached, options.formatter);
    if (!outputs) continue;
    // A generation known to fail the prompt's checks gives way to an older one that may pass; when
    // every one fails, the newest is restored (and fails at once, with no model call).
    if (knownVerdict(loaded.hashes.checksHash, outputs, cached)?.passed === false) {
      failing ??= { source: "cache", generation: cached, outputs };
      continue;
    }
    return { source: "cache", generation: cached, outputs };
  }
  return failing;
}

/**
 * Gets a prompt's outputs: restored from the newest cached generation of the same request (its
 * raw answer post-processed again, so formatting changes need no model call), or generated by the
 * engine. A failed answer is kept under .pc/failed/ and nothing is returned.
 */
export async function produce(loaded: RenderedStage, options: ProduceOptions): Promise<Produced> {
  if (options.cache && options.store) {
    const restored = await restore(loaded, { root: options.root, store: options.store, formatter: options.formatter });
    if (restored) return restored;
  }
  if (options.offline) {
    throw new PcError("PC_OFFLINE", "needs the model (--offline): no cached generation matches its current inputs", {
      file: loaded.prompt,
      hint: "Run the build without --offline to generate it, or revert the change that made it stale to restore an earlier generation.",
    });
  }
  const request = requestOf(loaded);
  const engine = await options.engines.get(request.model);
  const result = await engine.generate(request, { signal: options.signal, onProgress: options.onProgress });
  const at = engine.describe?.(request.model) ?? `model "${request.model}"`;
  const keep = async (error: PcError) => {
    if (!options.store) return error;
    const kept = await options.store.keepFailedAnswer(loaded.prompt, redact(result.text));
    return new PcError(error.code, `${at}: ${error.message}`, {
      file: loaded.prompt,
      hint: `${error.hint ?? ""}\nThe raw answer is kept in ${kept}.`.trim(),
      cause: error,
    });
  };
  if (result.finishReason === "length") throw await keep(truncated(request, result));
  let outputs: Record<string, string>;
  try {
    outputs = await postProcess(loaded.parsed, result.text, options.formatter);
  } catch (error) {
    throw error instanceof PcError ? await keep(error) : error;
  }
  const { identity, usage, durationMs } = result;
  const generation = newGeneration(loaded, { source: "llm", raw: result.text, outputs, identity, usage, durationMs });
  return { source: "llm", generation, outputs };
}

/** What a new generation of the prompt's current request records beside its answer. */
type Answer = Pick<Generation, "source" | "raw" | "outputs" | "label" | "identity" | "usage" | "durationMs">;

/** A new generation of the prompt's current request (from the model, or a chat answer), stamped now. */
export function newGeneration(loaded: RenderedStage, answer: Answer): Generation {
  const createdAt = new Date().toISOString();
  const { requestHash, inputHash } = loaded.hashes;
  const fm = loaded.parsed.frontmatter;
  return {
    id: GenerationStore.newId(requestHash, createdAt, answer.raw),
    prompt: loaded.prompt,
    createdAt,
    requestHash,
    inputHash,
    model: fm.model,
    seed: fm.seed,
    temperature: fm.temperature,
    source: answer.source,
    label: answer.label,
    raw: answer.raw,
    outputs: answer.outputs,
    identity: redactDeep(answer.identity), // any string a server returns may echo a secret
    usage: answer.usage,
    durationMs: answer.durationMs,
  };
}

/**
 * An answer cut short (finish_reason "length"), by what cut it: the pinned max_tokens, or the
 * context (prompt and answer together) of the model, which max_tokens cannot raise.
 */
function truncated(request: GenerationRequest, result: GenerationResult): PcError {
  const { promptTokens, completionTokens } = result.usage;
  const at = `the answer was cut short at ${completionTokens} tokens (finish_reason: length)`;
  const cut = (why: string, hint: string) => new PcError("PC_ANSWER_TRUNCATED", `${at}: ${why}`, { hint });
  if (request.maxTokens !== undefined && completionTokens >= request.maxTokens) {
    return cut(`max_tokens is ${request.maxTokens}`, "Raise max_tokens in the frontmatter, or ask for a shorter file.");
  }
  const used = `the prompt's ${promptTokens} tokens and the answer's ${completionTokens}`;
  const shorten = "or shorten the prompt and its context files.";
  if (result.identity.engine === "embedded") {
    return cut(
      `the model's context of ${result.identity.contextSize} tokens is full (${used})`,
      `Raise contextSize in pc.config.json (up to the model's own limit), ${shorten}`,
    );
  }
  const larger = "Start the server with a larger context (llama-server -c 16384; Ollama: num_ctx)";
  const size = result.contextSize;
  if (size !== undefined && promptTokens + completionTokens >= size)
    return cut(`the model's context of ${size} tokens is full (${used})`, `${larger}, ${shorten}`);
  if (size !== undefined) {
    return cut(
      `the server's own output limit stopped it (its context of ${size} tokens is not full)`,
      "Start the server without an output limit (llama-server -n -1), or pin max_tokens in the frontmatter.",
    );
  }
  return cut(
    `the server stopped it with no max_tokens pinned: its context is full (${used}) or it has an output limit of its own`,
    `${larger} and no output limit (llama-server -n -1), ${shorten}`,
  );
}
