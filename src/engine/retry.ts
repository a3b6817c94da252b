import { PcError } from "../util/errors.js";

export interface RetryPolicy {
  /** Retries after the first attempt, for errors marked retryable. */
  retries: number;
  /** First backoff in ms; doubles each time, with jitter. */
  baseDelayMs: number;
  /** Longest wait, including one asked for by Retry-After. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

/** A retryable error may say how long to wait (Retry-After, in ms). */
export interface RetryHint {
  retryAfterMs?: number;
}

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or retries run out. */
export async function withRetries<T>(
  policy: RetryPolicy,
  signal: AbortSignal | undefined,
  attempt: (n: number) => Promise<T>,
  onRetry?: (error: PcError, delayMs: number, n: number) => void,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (!(error instanceof PcError) || !error.retryable || signal?.aborted) throw error;
      if (n >= policy.retries) throw n > 0 ? gaveUp(error, n + 1) : error;
      const asked = (error as PcError & RetryHint).retryAfterMs;
      const backoff = policy.baseDelayMs * 2 ** n * (0.75 + Math.random() * 0.5);
      const delay = Math.min(policy.maxDelayMs, asked !== undefined ? Math.max(asked, 0) : backoff);
      onRetry?.(error, delay, n + 1);
      await sleep(delay, signal);
    }
  }
}

/** The last attempt's error, saying the retries are used up (its hint must not promise another). */
function gaveUp(error: PcError, attempts: number): PcError {
  const hint = `${error.hint ? `${error.hint}\n` : ""}Gave up after ${attempts} attempts; --retries <n> allows more.`;
  const last = new PcError(error.code, error.message, {
    file: error.file,
    line: error.line,
    key: error.key,
    hint,
    retryable: error.retryable,
    cause: error.cause,
  });
  return Object.assign(last, { retryAfterMs: (error as PcError & RetryHint).retryAfterMs });
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(new PcError("PC_ABORTED", "interrupted"));
    }
    signal?.addEventListener("abort", abort, { once: true });
  });
}

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfter(value: string | null | undefined): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
