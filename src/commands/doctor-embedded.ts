/** Checks of the embedded engine: node-llama-cpp starts, each pinned GGUF model loads, the hub has what is not downloaded. Never downloads. */
import { PcError } from "../util/errors.js";
import { engineLevel, usedBy, type Finding, type ModelUse } from "./doctor-types.js";

/** The project root, and the models folder of its pc.config.json. */
interface ModelRoot {
  root: string;
  modelsDir?: string;
}

export async function checkEmbedded(root: ModelRoot, models: Map<string, ModelUse>): Promise<Finding[]> {
  const { checkEmbeddedModel, checkEmbeddedRuntime } = await import("../engine/embedded.js");
  const needed = [...models.values()].some((u) => u.needed);
  try {
    const runtime = await checkEmbeddedRuntime();
    const what = `node-llama-cpp ${runtime.nodeLlamaCpp} runs llama.cpp ${runtime.llamaCppBuild} on the CPU`;
    const findings: Finding[] = [{ level: "ok", check: "embedded.runtime", what }];
    try {
      // One model at a time: loading them all at once could take more memory than any build does.
      for (const [model, use] of models) findings.push(await checkModel(checkEmbeddedModel, root, model, use));
    } finally {
      await runtime.release();
    }
    return findings;
  } catch (error) {
    if (!(error instanceof PcError)) throw error;
    const who = [...models.keys()].join(", ");
    return [
      {
        level: engineLevel({ prompts: [], needed }),
        check: "embedded.runtime",
        what: `${sentence(error.message)} (needed for ${who})`,
        fix: error.hint,
      },
    ];
  }
}

async function checkModel(
  check: (ref: string, options: ModelRoot) => Promise<{ file: string; bytes: number }>,
  root: ModelRoot,
  model: string,
  use: ModelUse,
): Promise<Finding> {
  try {
    const { bytes } = await check(model, root);
    return {
      level: "ok",
      check: "embedded.model",
      subject: model,
      what: `${model} loads (${(bytes / 1e6).toFixed(1)} MB, ${usedBy(use)})`,
    };
  } catch (error) {
    if (!(error instanceof PcError)) throw error;
    if (error.code === "PC_MODEL_NOT_FOUND" && model.startsWith("hf:")) return checkHub(model, use);
    return {
      level: engineLevel(use),
      check: "embedded.model",
      subject: model,
      what: `${sentence(error.message)} (${usedBy(use)})`,
      fix: error.hint,
    };
  }
}

/**
 * An hf: model not downloaded yet: the first build that needs it downloads it, if the hub can be
 * reached and has the file. The hub is asked (never downloaded from), so an offline machine hears
 * now that a build would fail.
 */
async function checkHub(model: string, use: ModelUse): Promise<Finding> {
  const { hubFileUrl, probeHub } = await import("../engine/hub.js");
  const base = { check: "embedded.model", subject: model };
  try {
    const { totalBytes } = await probeHub(model);
    const size = totalBytes
      ? `${(totalBytes / 1e6).toFixed(1)} MB from ${hubFileUrl(model).hostname}`
      : `from ${hubFileUrl(model).hostname}`;
    return {
      ...base,
      level: "warn",
      what: `${model} is not downloaded yet; the first build downloads it (${size}; ${usedBy(use)})`,
    };
  } catch (error) {
    if (!(error instanceof PcError)) throw error;
    const why = sentence(error.message.replace(/^Cannot download the model \S+: /, ""));
    return {
      ...base,
      level: engineLevel(use),
      what: `${model} is not downloaded yet, and a build would fail: ${why} (${usedBy(use)})`,
      fix: error.hint,
    };
  }
}

/** A message without its final period, so a parenthesis can follow. */
function sentence(message: string): string {
  return message.replace(/\.$/, "");
}
