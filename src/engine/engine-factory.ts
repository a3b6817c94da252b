import type { ProjectConfig } from "../util/config.js";
import { PcError } from "../util/errors.js";
import { urlCredentials, withoutCredentials } from "../util/redact.js";
import { DEFAULT_BASE_URL } from "./openai.js";
import type { EmbeddedLoadEvent } from "./embedded.js";
import type { RetryPolicy } from "./retry.js";
import type { Engine } from "./types.js";

export type EngineKind = "openai" | "embedded";

/** `gguf:<path>` and `hf:<...>` run in-process; anything else is a served model name. */
export function engineKindOf(model: string): EngineKind {
  return model.startsWith("gguf:") || model.startsWith("hf:") ? "embedded" : "openai";
}

export interface EngineSettings {
  root: string;
  /** The models folder of pc.config.json, for `gguf:<file>` models. */
  modelsDir?: string;
  baseURL: string;
  apiKey?: string;
  idleTimeoutMs?: number;
  retry?: RetryPolicy;
  threads?: number;
  contextSize?: number;
  onRetry?: (prompt: string, error: PcError, delayMs: number, attempt: number) => void;
  /** Embedded model download and load events. */
  onLoad?: (event: EmbeddedLoadEvent) => void;
  /** Hashes a model file for the identity (the build's size+mtime hash cache). */
  hashFile?: (absolute: string) => Promise<string | undefined>;
}

/** Creates the engine of a kind; tests and embedders pass their own. */
export type EngineFactory = (kind: EngineKind, settings: EngineSettings) => Promise<Engine>;

export const defaultEngineFactory: EngineFactory = async (kind, settings) => {
  if (kind === "embedded") {
    const { createEmbeddedEngine } = await import("./embedded.js");
    return createEmbeddedEngine({
      root: settings.root,
      modelsDir: settings.modelsDir,
      threads: settings.threads,
      contextSize: settings.contextSize,
      onLoad: settings.onLoad,
      hashFile: settings.hashFile,
    });
  }
  const { createOpenAIEngine } = await import("./openai.js");
  return createOpenAIEngine({
    baseURL: settings.baseURL,
    apiKey: settings.apiKey,
    idleTimeoutMs: settings.idleTimeoutMs,
    retry: settings.retry,
    onRetry: settings.onRetry,
  });
};

/**
 * Base URL precedence: the flag, then PC_BASE_URL, then pc.config.json, then llama-server's default.
 * A URL with a user name or password (`http://user:pass@host/v1`) is refused: pc would print and
 * store the URL, and fetch refuses such URLs anyway. The key goes in PC_API_KEY.
 */
export function resolveBaseURL(flag: string | undefined, config: ProjectConfig, env = process.env): string {
  const [url, from] =
    flag !== undefined
      ? [flag, "--base-url"]
      : env.PC_BASE_URL !== undefined
        ? [env.PC_BASE_URL, "PC_BASE_URL"]
        : config.baseUrl !== undefined
          ? [config.baseUrl, "pc.config.json (baseUrl)"]
          : [DEFAULT_BASE_URL, "the default"];
  if (urlCredentials(url).length > 0) {
    throw new PcError(
      "PC_CONFIG_INVALID",
      `the base URL from ${from} carries a user name or password (${withoutCredentials(url)}); pc does not send credentials from a URL`,
      {
        key: from.startsWith("pc.config") ? "baseUrl" : undefined,
        hint: "Give the URL without user:password@ and put the key in PC_API_KEY (sent as a bearer token), e.g. PC_API_KEY=... pc build --base-url https://llm.example.com/v1",
      },
    );
  }
  return url;
}

/** One engine per kind for the length of a build, created on first use and closed at the end. */
export class EnginePool {
  private readonly engines = new Map<EngineKind, Promise<Engine>>();

  constructor(
    private readonly factory: EngineFactory,
    private readonly settings: EngineSettings,
  ) {}

  get(model: string): Promise<Engine> {
    const kind = engineKindOf(model);
    let engine = this.engines.get(kind);
    if (!engine) {
      engine = this.factory(kind, this.settings);
      this.engines.set(kind, engine);
    }
    return engine;
  }

  async close(): Promise<void> {
    const engines = await Promise.allSettled(this.engines.values());
    await Promise.all(engines.map((e) => (e.status === "fulfilled" ? e.value.close() : undefined)));
  }
}
