import type { Sampler, Think } from "./samplers.js";

/** One message of a chat request, as sent to an engine. */
export interface ChatMessage {
  role: "system" | "user";
  content: string;
}

/** Everything an engine needs for one generation; every sampling pin is explicit. */
export interface GenerationRequest {
  /** The prompt's posix path relative to the project root, for messages. */
  prompt: string;
  /** The model reference from the frontmatter (a served name, `gguf:<path>` or `hf:<...>`). */
  model: string;
  messages: ChatMessage[];
  seed: number;
  temperature: number;
  /** Every sampler, pinned or neutral (see samplers.ts): sent whole, so no server default decides. */
  sampler: Sampler;
  /** Reasoning on, off or at an effort level; undefined leaves it to the model's template. */
  think?: Think;
  /** Ollama's context size (num_ctx); other engines size their context when they start. */
  numCtx?: number;
  maxTokens?: number;
  stop?: string[];
}

/** What the engine reports about the model that produced an answer (recorded in the lock). */
export interface ModelIdentity {
  engine: "openai" | "embedded";
  [key: string]: string | number | boolean | undefined;
}

export interface GenerationResult {
  text: string;
  /** `stop`, `length`, or whatever the engine reported. */
  finishReason: string;
  usage: { promptTokens: number; completionTokens: number };
  durationMs: number;
  identity: ModelIdentity;
  /** The context size the model ran with, in tokens, where the engine knows it (not recorded). */
  contextSize?: number;
}

export interface GenerationProgress {
  prompt: string;
  tokens: number;
  elapsedMs: number;
}

export interface GenerateOptions {
  signal?: AbortSignal;
  onProgress?: (progress: GenerationProgress) => void;
}

/** A source of generations. One engine instance serves one build and is closed at its end. */
export interface Engine {
  readonly kind: "openai" | "embedded";
  /** Names a model as this engine serves it, for messages: `model "m" at http://host/v1`. */
  describe?(model: string): string;
  generate(request: GenerationRequest, options?: GenerateOptions): Promise<GenerationResult>;
  close(): Promise<void>;
}
