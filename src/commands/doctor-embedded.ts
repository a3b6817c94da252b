/** Checks of the embedded engine: node-llama-cpp starts, and each pinned GGUF model loads. Never downloads. */
import { PcError } from "../util/errors.js";
import { engineLevel, usedBy, type Finding, type ModelUse } from "./doctor-types.js";

export async function checkEmbedded(root: string, models: Map<string, ModelUse>): Promise<Finding[]> {
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
    return [{ level: engineLevel({ prompts: [], needed }), check: "embedded.runtime", what: `${sentence(error.message)} (needed for ${who})`, fix: error.hint }];
  }
}

async function checkModel(
  check: (ref: string, options: { root: string }) => Promise<{ file: string; bytes: number }>,
  root: string,
  model: string,
  use: ModelUse,
): Promise<Finding> {
  try {
    const { bytes } = await check(model, { root });
    return { level: "ok", check: "embedded.model", subject: model, what: `${model} loads (${(bytes / 1e6).toFixed(1)} MB, ${usedBy(use)})` };
  } catch (error) {
    if (!(error instanceof PcError)) throw error;
    // An hf: model that is not cached yet is downloaded by the first build that needs it.
    const level = error.code === "PC_MODEL_NOT_FOUND" && model.startsWith("hf:") ? "warn" : engineLevel(use);
    return { level, check: "embedded.model", subject: model, what: `${sentence(error.message)} (${usedBy(use)})`, fix: error.hint };
  }
}

/** A message without its final period, so a parenthesis can follow. */
function sentence(message: string): string {
  return message.replace(/\.$/, "");
}
