/**
 * An `hf:` model file: found in node-llama-cpp's download folder (~/.node-llama-cpp/models), or
 * downloaded once, phase by phase (resolving the hub, connecting, downloading n of m MB at x MB/s),
 * failing within seconds when the hub cannot be reached and at once when the build is stopped.
 */
import { PcError } from "../util/errors.js";
import { OFFLINE_WAYS_OUT, probeHub } from "./hub.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");

export type DownloadPhase = "resolving" | "connecting" | "downloading";

/** Where a download is; `totalBytes` is 0 until the hub has said. */
export interface DownloadEvent {
  type: "download";
  model: string;
  phase: DownloadPhase;
  /** The hub's host name. */
  host: string;
  downloadedBytes: number;
  totalBytes: number;
  /** Average since the download began (0 at first). */
  bytesPerSecond: number;
}

/** No byte for this long in the middle of a download: it has stalled (node-llama-cpp would retry for minutes). */
const STALL_MS = 60_000;

/** The downloaded file of an `hf:` ref, or undefined when it is not downloaded yet. Never touches the network. */
export async function downloadedModel(lib: NodeLlamaCpp, ref: string): Promise<string | undefined> {
  try {
    return await lib.resolveModelFile(ref, { download: false, cli: false });
  } catch {
    return undefined;
  }
}

/**
 * The local file of an `hf:` ref, downloaded first when it is not there. The hub is tried before
 * node-llama-cpp's downloader starts, so an offline build fails in seconds with the cause.
 */
export async function downloadModel(
  lib: NodeLlamaCpp,
  ref: string,
  onEvent: (event: DownloadEvent) => void,
  signal?: AbortSignal,
): Promise<string> {
  const found = await downloadedModel(lib, ref);
  if (found) return found;
  let host = "";
  const emit = (phase: DownloadPhase, downloadedBytes = 0, totalBytes = 0, bytesPerSecond = 0) =>
    onEvent({ type: "download", model: ref, phase, host, downloadedBytes, totalBytes, bytesPerSecond });
  const probe = await probeHub(ref, {
    signal,
    onPhase: (phase, name) => {
      host = name;
      emit(phase);
    },
  });
  emit("downloading", 0, probe.totalBytes ?? 0);
  const stalled = new AbortController();
  const stop = signal ? AbortSignal.any([signal, stalled.signal]) : stalled.signal;
  const started = performance.now();
  let watchdog = setTimeout(() => stalled.abort(), STALL_MS);
  let absolute: string;
  try {
    // Downloads into node-llama-cpp's user folder (~/.node-llama-cpp/models) once, then reuses it.
    absolute = await untilAborted(
      lib.resolveModelFile(ref, {
        cli: false, // its CLI progress goes to stdout, which belongs to --json
        signal: stop,
        onProgress: ({ downloadedSize, totalSize }) => {
          clearTimeout(watchdog);
          watchdog = setTimeout(() => stalled.abort(), STALL_MS);
          const seconds = (performance.now() - started) / 1000;
          emit("downloading", downloadedSize, totalSize, seconds > 0 ? downloadedSize / seconds : 0);
        },
      }),
      stop,
    );
  } catch (cause) {
    throw downloadFailed(ref, host, cause, signal, stalled.signal);
  } finally {
    clearTimeout(watchdog);
  }
  // Stopped: node-llama-cpp returns the file's path all the same, but the file is not there.
  if (stop.aborted) throw downloadFailed(ref, host, stop.reason, signal, stalled.signal);
  return absolute;
}

function downloadFailed(
  ref: string,
  host: string,
  cause: unknown,
  signal: AbortSignal | undefined,
  stalled: AbortSignal,
): PcError {
  if (signal?.aborted) return new PcError("PC_ABORTED", `The download of ${ref} was stopped.`, { key: "model", cause });
  if (stalled.aborted) {
    return new PcError(
      "PC_ENGINE_UNREACHABLE",
      `The download of ${ref} stalled: no data from ${host} for ${STALL_MS / 1000} s.`,
      {
        key: "model",
        hint: `Check the network and build again: the download starts over. ${OFFLINE_WAYS_OUT}`,
        retryable: true,
        cause,
      },
    );
  }
  const reason = cause instanceof Error ? cause.message.split("\n")[0] : String(cause);
  return new PcError("PC_MODEL_NOT_FOUND", `Could not download the model ${ref} from ${host}: ${reason}`, {
    key: "model",
    hint: `Check the user, repository and file name on the model's page, and the network; set HF_TOKEN for gated models. ${OFFLINE_WAYS_OUT}`,
    retryable: true,
    cause,
  });
}

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts: node-llama-cpp only hears the
 * signal once its download has begun, not while it looks the file up.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
