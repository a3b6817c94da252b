/**
 * The model hub an `hf:` model is downloaded from (huggingface.co, or HF_ENDPOINT / MODEL_ENDPOINT
 * as node-llama-cpp reads them): where the file is, and whether the hub can be reached at all.
 *
 * node-llama-cpp's downloader retries a failed connection 150 times with backoff (about 12
 * minutes) before it gives up, and says nothing meanwhile; offline, a build must say why within
 * seconds. So the hub is tried first, one short step at a time (resolving its name, connecting and
 * asking for the file's size), and a failure names the cause and the ways out.
 */
import { lookup } from "node:dns/promises";
import { PcError } from "../util/errors.js";
import { httpFetch } from "./http.js";

export type HubPhase = "resolving" | "connecting";

/** Seconds allowed to resolve the hub's name, then to connect and get the file's headers. */
const RESOLVE_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 15_000;

/** What to do when the hub is out of reach, for every message that says so. */
export const OFFLINE_WAYS_OUT =
  "Without the network, use a model file you have (`model: gguf:~/models/<file>.gguf`, or a `modelsDir` in pc.config.json) " +
  "or a served model (llama-server, Ollama: `model: <name>` with --base-url); " +
  "behind a mirror, set HF_ENDPOINT to its URL.";

/** The hub's base URL, as node-llama-cpp resolves it (MODEL_ENDPOINT, then HF_ENDPOINT, else huggingface.co). */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  for (const value of [env.MODEL_ENDPOINT, env.HF_ENDPOINT]) {
    if (value && URL.canParse(value)) return value.endsWith("/") ? value : `${value}/`;
  }
  return "https://huggingface.co/";
}

/** The download URL of `hf:<user>/<repo>/<path>.gguf[#branch]`. */
export function hubFileUrl(ref: string, env: NodeJS.ProcessEnv = process.env): URL {
  const [spec = "", branch = "main"] = ref.slice("hf:".length).split("#");
  const [user, repo, ...file] = spec.split("/");
  const parts = [user, repo, "resolve", branch || "main", ...file].map((p) => encodeURIComponent(p ?? ""));
  return new URL(parts.join("/"), hubEndpoint(env));
}

export interface HubProbe {
  /** The file's size in bytes, when the hub says. */
  totalBytes?: number;
}

/**
 * Tries the hub for one model file: resolves the host, connects and asks for the file's headers
 * (HEAD, redirects followed, HF_TOKEN sent when set). Fails with PC_ENGINE_UNREACHABLE when the
 * hub cannot be reached (naming the cause: DNS, refused, reset, timed out) and PC_MODEL_NOT_FOUND
 * when the hub answers that the file is not there or needs a token.
 */
export async function probeHub(
  ref: string,
  options: { signal?: AbortSignal; onPhase?: (phase: HubPhase, host: string) => void; env?: NodeJS.ProcessEnv } = {},
): Promise<HubProbe> {
  const env = options.env ?? process.env;
  const url = hubFileUrl(ref, env);
  const host = url.hostname;
  options.onPhase?.("resolving", host);
  try {
    await withTimeout(lookup(host.replace(/^\[|\]$/g, "")), RESOLVE_TIMEOUT_MS, options.signal);
  } catch (cause) {
    throw unreachable(
      ref,
      url,
      `cannot resolve ${host} (${describeCause(cause, RESOLVE_TIMEOUT_MS)})`,
      cause,
      options.signal,
    );
  }
  options.onPhase?.("connecting", host);
  let response: { ok: boolean; status: number; headers: Headers };
  try {
    const headers: Record<string, string> = env.HF_TOKEN ? { authorization: `Bearer ${env.HF_TOKEN}` } : {};
    response = await headRequest(url, headers, options.signal);
  } catch (cause) {
    throw unreachable(
      ref,
      url,
      `cannot connect to ${url.host} (${describeCause(cause, CONNECT_TIMEOUT_MS)})`,
      cause,
      options.signal,
    );
  }
  if (response.ok) {
    const length = Number(response.headers.get("x-linked-size") ?? response.headers.get("content-length"));
    return { totalBytes: Number.isFinite(length) && length > 0 ? length : undefined };
  }
  throw answered(ref, url, response.status);
}

function unreachable(ref: string, url: URL, what: string, cause: unknown, signal: AbortSignal | undefined): PcError {
  if (signal?.aborted)
    return new PcError("PC_ABORTED", `The download of ${ref} was stopped.`, { key: "model", cause: signal.reason });
  return new PcError("PC_ENGINE_UNREACHABLE", `Cannot download the model ${ref}: ${what}.`, {
    key: "model",
    hint: `${OFFLINE_WAYS_OUT} The file is fetched from ${url.origin}.`,
    retryable: true,
    cause,
  });
}

function answered(ref: string, url: URL, status: number): PcError {
  if (status === 401 || status === 403) {
    return new PcError(
      "PC_MODEL_NOT_FOUND",
      `Cannot download the model ${ref}: ${url.host} answered ${status} (the repository is gated or private).`,
      {
        key: "model",
        hint: "Accept the model's licence on its Hugging Face page and set HF_TOKEN to an access token, or pick another model.",
      },
    );
  }
  if (status === 404) {
    return new PcError("PC_MODEL_NOT_FOUND", `Cannot download the model ${ref}: ${url.host} has no such file (404).`, {
      key: "model",
      hint: "Check the user, repository and file name (hf:<user>/<repo>/<file>.gguf) on the model's page, e.g. `model: hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf`.",
    });
  }
  return new PcError("PC_ENGINE_UNREACHABLE", `Cannot download the model ${ref}: ${url.host} answered ${status}.`, {
    key: "model",
    hint: `The hub may be busy or down: try again later. ${OFFLINE_WAYS_OUT}`,
    retryable: true,
  });
}

/** `ENOTFOUND`, `connection refused`, `timed out after 15 s` ... from a DNS or fetch failure. */
export function describeCause(error: unknown, timeoutMs: number): string {
  let current: unknown = error;
  for (let depth = 0; current && depth < 4; depth++) {
    const { code, name, message } = current as { code?: string; name?: string; message?: string };
    if (name === "TimeoutError" || code === "UND_ERR_CONNECT_TIMEOUT" || code === "ETIMEDOUT")
      return `timed out after ${timeoutMs / 1000} s`;
    if (code === "ENOTFOUND" || code === "EAI_NONAME") return "DNS: no such host";
    if (code === "EAI_AGAIN") return "DNS: the name server did not answer; offline?";
    if (code === "ECONNREFUSED") return "connection refused";
    if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "the connection was reset";
    if (code === "ENETUNREACH" || code === "EHOSTUNREACH") return "no route to the host; offline?";
    if (code) return `${code}${message ? `: ${message}` : ""}`;
    const next = (current as { cause?: unknown }).cause;
    if (!next) return message ?? String(current);
    current = next;
  }
  return String(error);
}

/**
 * HEAD `url`, redirects followed, within CONNECT_TIMEOUT_MS (see httpFetch for why not the
 * built-in fetch). The deadline is a timer of our own: AbortSignal.timeout's does not keep the
 * process alive, so a request that hangs with nothing else pending would end pc instead of failing.
 */
async function headRequest(url: URL, headers: Record<string, string>, signal: AbortSignal | undefined) {
  const deadline = new AbortController();
  const timer = setTimeout(
    () =>
      deadline.abort(Object.assign(new Error(`timed out after ${CONNECT_TIMEOUT_MS} ms`), { name: "TimeoutError" })),
    CONNECT_TIMEOUT_MS,
  );
  try {
    const stop = signal ? AbortSignal.any([deadline.signal, signal]) : deadline.signal;
    return await httpFetch(url, { method: "HEAD", headers, redirect: "follow", signal: stop });
  } finally {
    clearTimeout(timer);
  }
}

/** Rejects after `ms` (with a TimeoutError) or when `signal` aborts, whichever comes first. */
function withTimeout<T>(promise: Promise<T>, ms: number, signal: AbortSignal | undefined): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(Object.assign(new Error(`timed out after ${ms} ms`), { name: "TimeoutError" })),
      ms,
    );
    const onAbort = () => reject(signal?.reason);
    if (signal?.aborted) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    });
  });
}
