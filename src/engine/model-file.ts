/** The model file of the embedded engine: where a ref points, whether it is GGUF, and its hash. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, realpath } from "node:fs/promises";
import path from "node:path";
import { PcError, isPcError } from "../util/errors.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");

/**
 * Resolves a model ref to a local file: `gguf:<path>` inside the root, or `hf:<user>/<repo>/<file>.gguf`
 * (downloaded once; without `onDownload`, only looked up in the cache).
 */
export async function resolveModelPath(
  lib: NodeLlamaCpp,
  ref: string,
  projectRoot: string,
  onDownload: ((event: { type: "download"; model: string; downloadedBytes: number; totalBytes: number }) => void) | undefined,
  /** Stops a download (node-llama-cpp then resolves as if it had finished: checked after it). */
  signal?: AbortSignal,
): Promise<{ file: string; absolute: string }> {
  if (ref.startsWith("gguf:")) {
    const relative = ref.slice("gguf:".length);
    const root = path.resolve(projectRoot);
    const absolute = path.resolve(root, relative);
    const file = path.relative(root, absolute).split(path.sep).join("/");
    const outside = (p: string) => p === ".." || p.startsWith(`..${path.sep}`) || path.isAbsolute(p);
    if (relative === "" || outside(path.relative(root, absolute))) {
      throw new PcError("PC_PATH_OUTSIDE_PROJECT", `The model file ${relative || "(empty)"} is outside the project.`, {
        key: "model",
        hint: "Put the GGUF file inside the project and refer to it relative to the root, e.g. `model: gguf:models/tiny.gguf`.",
      });
    }
    // A symlink may still point outside; only the real path decides.
    const realAbsolute = await realpath(absolute).catch(() => absolute);
    const realRoot = await realpath(root).catch(() => root);
    if (outside(path.relative(realRoot, realAbsolute))) {
      throw new PcError("PC_PATH_OUTSIDE_PROJECT", `The model file ${file} links outside the project.`, { file, key: "model" });
    }
    return { file, absolute };
  }
  if (ref.startsWith("hf:")) {
    if (!/^hf:[^/:\s]+\/[^/:\s]+\/[^:\s]+\.gguf(#[^\s]+)?$/i.test(ref)) {
      throw new PcError("PC_MODEL_INVALID", `The model ${ref} does not name one GGUF file.`, {
        key: "model",
        hint: "Pin the exact file so every build uses the same weights, e.g. `model: hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf`.",
      });
    }
    if (!onDownload) {
      try {
        return { file: ref, absolute: await lib.resolveModelFile(ref, { download: false, cli: false }) };
      } catch (cause) {
        throw new PcError("PC_MODEL_NOT_FOUND", `The model ${ref} is not downloaded yet.`, {
          key: "model",
          hint: "The first build that needs it downloads it into ~/.node-llama-cpp/models (set HF_TOKEN for gated models).",
          cause,
        });
      }
    }
    const stopped = (cause: unknown) => new PcError("PC_ABORTED", `The download of ${ref} was stopped.`, { key: "model", cause });
    let absolute: string;
    try {
      // Downloads into node-llama-cpp's user cache (~/.node-llama-cpp/models) once, then reuses it.
      absolute = await lib.resolveModelFile(ref, {
        cli: false, // its CLI progress goes to stdout, which belongs to --json
        signal,
        onProgress: ({ downloadedSize, totalSize }) => onDownload({ type: "download", model: ref, downloadedBytes: downloadedSize, totalBytes: totalSize }),
      });
    } catch (cause) {
      if (signal?.aborted) throw stopped(cause);
      throw new PcError("PC_MODEL_NOT_FOUND", `Could not download the model ${ref}.`, {
        key: "model",
        hint: "Check the user, repository and file name on huggingface.co and the network; set HF_TOKEN for gated models. Offline, use a local file: `model: gguf:models/<file>.gguf`.",
        retryable: true,
        cause,
      });
    }
    if (signal?.aborted) throw stopped(signal.reason); // the file is not there: node-llama-cpp returns its path all the same
    return { file: ref, absolute };
  }
  throw new PcError("PC_MODEL_INVALID", `The embedded engine cannot run the model ${ref}.`, {
    key: "model",
    hint: "Use a local file `gguf:<path>` or a Hugging Face file `hf:<user>/<repo>/<file>.gguf`; served model names need the openai engine (--base-url).",
  });
}

/** Fails with a clear message unless the file exists and starts with the GGUF magic. */
export async function checkGguf(absolute: string, file: string): Promise<number> {
  const hint = "Point `model:` at a GGUF model file (llama.cpp format), e.g. `model: gguf:models/qwen2.5-coder-1.5b-q4_k_m.gguf`.";
  let handle;
  try {
    handle = await open(absolute, "r");
    const { size } = await handle.stat();
    const magic = Buffer.alloc(4);
    await handle.read(magic, 0, 4, 0);
    if (magic.toString("latin1") !== "GGUF") {
      throw new PcError("PC_MODEL_INVALID", `${file} is not a GGUF model file.`, { file, key: "model", hint });
    }
    return size;
  } catch (cause) {
    if (isPcError(cause)) throw cause;
    const code = (cause as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a directory" : "cannot be read";
    throw new PcError("PC_MODEL_INVALID", `The model file ${file} ${what}.`, { file, key: "model", hint, cause });
  } finally {
    await handle?.close();
  }
}

/** `sha256:<hex>` of a file, read as a stream (models are gigabytes). */
export async function streamSha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return `sha256:${hash.digest("hex")}`;
}
