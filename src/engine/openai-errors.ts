import { PcError, type PcErrorCode } from "../util/errors.js";
import { redactSecrets } from "../util/redact.js";
import { parseRetryAfter } from "./retry.js";

interface Where {
  prompt: string;
  model: string;
  baseURL: string;
  /** The API key: removed from anything the server sent back (some gateways echo the request). */
  apiKey?: string;
}

/** Network error codes worth a retry (the server may be restarting). */
const TRANSIENT_NETWORK = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "UND_ERR_SOCKET", "ECONNABORTED"]);

function rootCause(error: unknown): { code?: string; message: string } {
  let current = error as { cause?: unknown; code?: string; message?: string } | undefined;
  for (let depth = 0; current?.cause && depth < 5; depth++) current = current.cause as typeof current;
  return { code: current?.code, message: current?.message ?? String(error) };
}

/** What the openai client's errors carry (an HTTP status for a server's answer, none for a network failure). */
interface ClientError {
  status?: number;
  headers?: Headers;
  error?: { type?: string; message?: string };
  message?: string;
  name?: string;
}

/** Makes the PcError: the message prefixed with the model and base URL, secrets removed. */
type Make = (code: PcErrorCode, message: string, hint: string, retryable?: boolean, retryAfterMs?: number) => PcError;

/**
 * Turns whatever the openai client threw into a PcError naming the prompt, model and base URL,
 * marked retryable where retrying can help. Never includes request headers (the API key).
 */
export function engineError(error: unknown, where: Where): PcError {
  if (error instanceof PcError) return error;
  const at = `model "${where.model}" at ${where.baseURL}`;
  // The cause is not chained: the client's error may quote the server's reply, key included.
  const make: Make = (code, message, hint, retryable = false, retryAfterMs) =>
    Object.assign(
      new PcError(code, redactSecrets(`${at}: ${message}`, where.apiKey), { file: where.prompt, hint, retryable }),
      { retryAfterMs },
    );
  const e = error as ClientError;
  const serverMessage = (e.error?.message ?? e.message ?? "").split("\n")[0].slice(0, 300);
  return typeof e.status === "number"
    ? httpError(e.status, e, serverMessage, make)
    : connectionError(error, e, serverMessage, make, where.baseURL);
}

/** No answer from the server: refused, unresolved, TLS, a broken connection, bad JSON, a timeout. */
function connectionError(error: unknown, e: ClientError, serverMessage: string, make: Make, baseURL: string): PcError {
  const cause = rootCause(error);
  if (e.name === "APIConnectionTimeoutError") {
    return make(
      "PC_ENGINE_TIMEOUT",
      "the request timed out",
      'Raise the timeout (--timeout <seconds> or "timeout" in pc.config.json).',
      true,
    );
  }
  if (cause.code === "ECONNREFUSED") {
    return make("PC_ENGINE_UNREACHABLE", "connection refused: no server is listening", startServerHint(baseURL), true);
  }
  if (cause.code === "ENOTFOUND" || cause.code === "EAI_AGAIN") {
    return make(
      "PC_ENGINE_UNREACHABLE",
      `the host name does not resolve (${cause.code})`,
      "Check the host in --base-url / PC_BASE_URL / pc.config.json.",
    );
  }
  if (/certificate|SSL|TLS|self[- ]signed|EPROTO|CERT/i.test(`${cause.code} ${cause.message}`)) {
    return tlsError(cause, make);
  }
  if (cause.code && TRANSIENT_NETWORK.has(cause.code)) {
    return make(
      "PC_ENGINE_ERROR",
      `the connection broke (${cause.code})`,
      "The server closed the connection: see its log.",
      true,
    );
  }
  if (/JSON/i.test(cause.message) || error instanceof SyntaxError) {
    return make(
      "PC_ENGINE_ERROR",
      `the server sent data that is not valid JSON: ${cause.message.slice(0, 200)}`,
      "Check that the base URL points at an OpenAI-compatible server.",
      true,
    );
  }
  if (e.name === "APIError" || e.error) {
    return make(
      "PC_ENGINE_ERROR",
      `the server reported an error mid-answer: ${serverMessage}`,
      "See the server's log.",
      true,
    );
  }
  return make("PC_ENGINE_ERROR", `the request failed: ${cause.message}`, "Check the server and the base URL.", true);
}

/** The server answered with an error status. */
function httpError(status: number, e: ClientError, serverMessage: string, make: Make): PcError {
  const retryAfterMs = parseRetryAfter(e.headers?.get?.("retry-after"));
  if (status === 401 || status === 403) {
    return make(
      "PC_ENGINE_AUTH",
      `the server refused the request (${status}): ${serverMessage}`,
      "Set PC_API_KEY to the server's API key.",
    );
  }
  if (status === 404) {
    return make(
      "PC_MODEL_NOT_FOUND",
      `the server does not serve this model (404): ${serverMessage}`,
      "Check the name against GET /v1/models, or pull it (ollama pull <model>).",
    );
  }
  if (
    status === 400 &&
    /exceed_context_size|context size|context length|too long/i.test(`${e.error?.type} ${serverMessage}`)
  ) {
    return make(
      "PC_CONTEXT_EXCEEDED",
      `the prompt does not fit the model's context: ${serverMessage}`,
      "Shorten the prompt or its context files, or start the server with a larger context (llama-server -c 16384).",
    );
  }
  if (status === 413) {
    return make(
      "PC_ENGINE_ERROR",
      `the request is too large for the server (413): ${serverMessage}`,
      "The prompt with its context files is larger than the server, or a proxy in front of it, accepts: shorten them, or raise that limit.",
    );
  }
  if (status === 503) {
    return make(
      "PC_MODEL_LOADING",
      `the server is not ready (503): ${serverMessage}`,
      "The model is probably still loading: build again once the server is ready.",
      true,
      retryAfterMs,
    );
  }
  if (status === 429) {
    return make(
      "PC_ENGINE_ERROR",
      `rate limited (429): ${serverMessage}`,
      "The server is busy: build again later, or allow more retries (--retries <n>).",
      true,
      retryAfterMs,
    );
  }
  if (status >= 500) {
    return make(
      "PC_ENGINE_ERROR",
      `server error ${status}: ${serverMessage}`,
      "See the server's log.",
      true,
      retryAfterMs,
    );
  }
  return make(
    "PC_ENGINE_ERROR",
    `the server rejected the request (${status}): ${serverMessage}`,
    "See the server's log.",
  );
}

/**
 * How to start a server where pc looks for one: on the port of the base URL the user gave (Ollama's
 * own port says Ollama), not on a default port they did not ask for.
 */
export function startServerHint(baseURL: string): string {
  let host = "127.0.0.1";
  let port = "8080";
  try {
    const url = new URL(baseURL);
    host = url.hostname;
    port = url.port || (url.protocol === "https:" ? "443" : "80");
  } catch {
    // An unparsable base URL is reported where it is read; the default's example still helps.
  }
  const start =
    port === "11434" ? "ollama serve" : `llama-server -m model.gguf --host ${host} --port ${port} --parallel 1`;
  return `Start the server at ${baseURL} (${start}), or point pc at the one you run with --base-url, PC_BASE_URL or baseUrl in pc.config.json.`;
}

/** OpenSSL's reason ("wrong version number") instead of its whole error line, with the likely fix. */
function tlsError(cause: { code?: string; message: string }, make: Make): PcError {
  const reason = /routines:[^:]*:([^:]+)/.exec(cause.message)?.[1]?.trim() ?? cause.message.split("\n")[0].trim();
  if (/wrong version number|packet length too long|http request/i.test(reason)) {
    return make(
      "PC_ENGINE_UNREACHABLE",
      `TLS error: ${reason} (the server does not speak https)`,
      "Use http:// in the base URL: local servers (llama-server, Ollama) serve plain HTTP.",
    );
  }
  return make(
    "PC_ENGINE_UNREACHABLE",
    `TLS error: ${reason}${cause.code && !reason.includes(cause.code) ? ` (${cause.code})` : ""}`,
    "Check the https URL and its certificate (NODE_EXTRA_CA_CERTS=ca.pem for a private CA), or use http:// for a local server.",
  );
}
