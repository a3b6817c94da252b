/**
 * Which server stands behind an OpenAI-compatible base URL, asked once per build: llama-server
 * answers GET /props, Ollama GET /api/version, vLLM GET /version. Anything else is a plain
 * OpenAI-compatible server and gets only the standard fields.
 */
import { httpFetch } from "./http.js";
import type { Dialect } from "./samplers.js";

export interface DetectedDialect {
  dialect: Dialect;
  /** llama-server's /props, when it answered (it answers 503 while its model loads). */
  props?: Record<string, unknown>;
  /** The server's version (Ollama, vLLM). */
  version?: string;
  /** False when a probe could not be answered (network error, 5xx): ask again next time. */
  complete: boolean;
}

/** The server's origin: the base URL without its /v1. */
export function originOf(baseURL: string): string {
  return baseURL.replace(/\/+$/, "").replace(/\/v1$/, "");
}

export async function detectDialect(baseURL: string, apiKey?: string, timeoutMs = 2000): Promise<DetectedDialect> {
  const origin = originOf(baseURL);
  const headers: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  let complete = true;
  let unreachable: unknown;
  const get = async (path: string): Promise<{ status: number; json?: Record<string, unknown> } | undefined> => {
    try {
      const response = await httpFetch(`${origin}${path}`, { headers, signal: AbortSignal.timeout(timeoutMs) });
      if (response.status >= 500) complete = false;
      // The body is read either way: an unread body holds its connection until it is collected.
      const text = await response.text().catch(() => "");
      const json = response.ok ? parseJson(text) : undefined;
      return { status: response.status, json: isObject(json) ? json : undefined };
    } catch (error) {
      complete = false;
      unreachable ??= error;
      return undefined;
    }
  };
  const [props, ollama, vllm] = await Promise.all([get("/props"), get("/api/version"), get("/version")]);
  if (props?.json && ("default_generation_settings" in props.json || "total_slots" in props.json)) {
    return { dialect: "llama-server", props: props.json, complete: true };
  }
  // llama-server answers 503 on /props while its model loads; nobody else has /props.
  if (props?.status === 503) return { dialect: "llama-server", complete: false };
  if (typeof ollama?.json?.version === "string")
    return { dialect: "ollama", version: ollama.json.version, complete: true };
  if (typeof vllm?.json?.version === "string") return { dialect: "vllm", version: vllm.json.version, complete: true };
  // Guessing "plain OpenAI" here would send fewer samplers than the server honours: the network
  // error goes to the caller instead (it is reported and retried like a failed request).
  if (unreachable) throw unreachable;
  if (!complete)
    throw new Error("the server answered 5xx when asked which server it is (/props, /api/version, /version)");
  return { dialect: "openai", complete };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
