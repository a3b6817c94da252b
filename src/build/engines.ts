import type { ProjectConfig } from "../config/config.js";
import type { PcError } from "../errors.js";
import { DEFAULT_RETRY } from "../engine/retry.js";
import { EnginePool, defaultEngineFactory, resolveBaseURL, type EngineFactory } from "../engine/select.js";

/** How to reach the engines: flags over pc.config.json over defaults. */
export interface EngineChoice {
  baseUrl?: string;
  /** Seconds without data before a request is abandoned. */
  timeout?: number;
  retries?: number;
  threads?: number;
  engineFactory?: EngineFactory;
}

/** The engines of one command (pc build, pc diff): created on first use, closed by the caller. */
export function createEnginePool(
  root: string,
  config: ProjectConfig,
  choice: EngineChoice,
  onRetry?: (prompt: string, error: PcError, delayMs: number, attempt: number) => void,
): EnginePool {
  return new EnginePool(choice.engineFactory ?? defaultEngineFactory, {
    root,
    baseURL: resolveBaseURL(choice.baseUrl, config),
    apiKey: process.env.PC_API_KEY,
    idleTimeoutMs: (choice.timeout ?? config.timeout ?? 120) * 1000,
    retry: { ...DEFAULT_RETRY, retries: choice.retries ?? config.retries ?? DEFAULT_RETRY.retries },
    threads: choice.threads ?? config.threads,
    contextSize: config.contextSize,
    onRetry,
  });
}
