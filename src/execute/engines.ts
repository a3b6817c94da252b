import type { EmbeddedLoadEvent } from "../engine/embedded.js";
import { DEFAULT_RETRY } from "../engine/retry.js";
import { EnginePool, defaultEngineFactory, resolveBaseURL, type EngineFactory } from "../engine/engine-factory.js";
import type { Project } from "../plan/project.js";

/** The engine flags `pc build` and `pc verify` share. */
export interface EngineOptions {
  /** OpenAI-compatible base URL (default: PC_BASE_URL, pc.config.json, then llama-server's default). */
  baseUrl?: string;
  /** Seconds without data before a request is abandoned. */
  timeout?: number;
  retries?: number;
  /** Threads of the embedded engine. */
  threads?: number;
  /** Creates engines; tests pass their own. */
  engineFactory?: EngineFactory;
}

export type EngineEvent =
  | { type: "retry"; prompt: string; message: string; delayMs: number; attempt: number }
  | { type: "model"; event: EmbeddedLoadEvent };

/**
 * The engines of one run, configured from the flags and pc.config.json. Built once per run, so
 * each model is loaded once and reused by every prompt that names it.
 */
export function enginePoolFor(
  project: Project,
  options: EngineOptions,
  onEvent?: (event: EngineEvent) => void,
): EnginePool {
  const { root, config } = project;
  return new EnginePool(options.engineFactory ?? defaultEngineFactory, {
    root,
    modelsDir: config.modelsDir,
    baseURL: resolveBaseURL(options.baseUrl, config),
    apiKey: process.env.PC_API_KEY,
    idleTimeoutMs: (options.timeout ?? config.timeout ?? 120) * 1000,
    retry: { ...DEFAULT_RETRY, retries: options.retries ?? config.retries ?? DEFAULT_RETRY.retries },
    threads: options.threads ?? config.threads,
    contextSize: config.contextSize,
    onRetry: (prompt, error, delayMs, attempt) =>
      onEvent?.({ type: "retry", prompt, message: error.message, delayMs, attempt }),
    onLoad: (event) => onEvent?.({ type: "model", event }),
    // The planner already hashed a project model file; a downloaded one is cached by size and mtime.
    hashFile: (absolute) => project.files.hashAbsolute(absolute),
  });
}
