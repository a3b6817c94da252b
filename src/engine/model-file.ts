/** The model file of the embedded engine: where a ref points, whether it is GGUF, and its hash. */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { PcError, isPcError } from "../util/errors.js";
import { ggufPath, locateModel } from "../util/model-path.js";
import { downloadModel, downloadedModel, type DownloadEvent } from "./hf-download.js";

type NodeLlamaCpp = typeof import("node-llama-cpp");

/**
 * Resolves a model ref to a local file: `gguf:<path>` wherever it is (see locateModel), or `hf:<user>/<repo>/<file>.gguf`
 * (downloaded once; without `onDownload`, only looked up in the cache).
 */
export async function resolveModelPath(
  lib: NodeLlamaCpp,
  ref: string,
  /** The project root, and the models folder of pc.config.json. */
  projectRoot: { root: string; modelsDir?: string },
  onDownload: ((event: DownloadEvent) => void) | undefined,
  /** Stops a download at once. */
  signal?: AbortSignal,
): Promise<{ file: string; absolute: string }> {
  const file = ggufPath(ref);
  if (file !== undefined) {
    if (file === "") {
      throw new PcError("PC_MODEL_INVALID", "The model gguf: names no file.", {
        key: "model",
        hint: "Give the GGUF file's path, e.g. `model: gguf:models/tiny.gguf` (in the project) or `model: gguf:~/models/<file>.gguf`.",
      });
    }
    const located = locateModel(projectRoot.root, file, projectRoot.modelsDir);
    return { file: located.name, absolute: located.absolute };
  }
  if (ref.startsWith("hf:")) {
    if (!/^hf:[^/:\s]+\/[^/:\s]+\/[^:\s]+\.gguf(#[^\s]+)?$/i.test(ref)) {
      throw new PcError("PC_MODEL_INVALID", `The model ${ref} does not name one GGUF file.`, {
        key: "model",
        hint: "Pin the exact file so every build uses the same weights, e.g. `model: hf:Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf`.",
      });
    }
    if (!onDownload) {
      const absolute = await downloadedModel(lib, ref);
      if (absolute) return { file: ref, absolute };
      throw new PcError("PC_MODEL_NOT_FOUND", `The model ${ref} is not downloaded yet.`, {
        key: "model",
        hint: "The first build that needs it downloads it into ~/.node-llama-cpp/models (set HF_TOKEN for gated models).",
      });
    }
    return { file: ref, absolute: await downloadModel(lib, ref, onDownload, signal) };
  }
  throw new PcError("PC_MODEL_INVALID", `The embedded engine cannot run the model ${ref}.`, {
    key: "model",
    hint: "Use a local file `gguf:<path>` or a Hugging Face file `hf:<user>/<repo>/<file>.gguf`; served model names need the openai engine (--base-url).",
  });
}

/** Fails with a clear message unless the file exists and starts with the GGUF magic. */
export async function checkGguf(absolute: string, file: string): Promise<number> {
  const hint =
    "Point `model:` at a GGUF model file (llama.cpp format), e.g. `model: gguf:models/qwen2.5-coder-1.5b-q4_k_m.gguf`.";
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
