/**
 * Checks of the OpenAI-compatible server: reachable, serving each pinned model, and (llama-server)
 * configured so an answer depends only on its own request: one slot, no prompt cache reuse.
 */
import { nonNeutralDefaults } from "../engine/determinism.js";
import { unpinnedBy } from "../engine/samplers.js";
import { engineLevel, usedBy, type Finding, type ModelUse } from "./doctor-types.js";
import { startServerHint } from "../engine/openai-errors.js";
import { httpFetch } from "../engine/http.js";

interface Answer {
  status?: number;
  json?: unknown;
  /** Why no answer came (connection refused, timeout ...). */
  failure?: string;
}

type Flavor = "llama-server" | "ollama" | "vllm" | "openai";

type Get = (url: string) => Promise<Answer>;

export async function checkServer(
  baseURL: string,
  models: Map<string, ModelUse>,
  apiKey?: string,
  timeoutMs = 3000,
): Promise<Finding[]> {
  const base = baseURL.replace(/\/+$/, "");
  const origin = base.replace(/\/v1$/, "");
  const get: Get = (url) => getJson(url, apiKey, timeoutMs);
  const listed = await get(`${base}/models`);
  const refused = unreachable(base, listed, models);
  if (refused) return [refused];
  const { flavor, props, tags } = await serverFlavor(origin, get);
  const findings: Finding[] = [
    {
      level: "ok",
      check: "engine.reachable",
      subject: base,
      what: `${base} answers: ${await describe(flavor, props.json, origin, get)}`,
    },
  ];
  const { served, names, listedCount } = servedModels(flavor, listed, props, tags);
  if (listed.status !== 200 && served.size === 0) {
    findings.push({
      level: "warn",
      check: "engine.model",
      subject: base,
      what: `${base}/models answered HTTP ${listed.status}: which models it serves is unknown`,
      fix: "Check the base URL: it should end in /v1 for an OpenAI-compatible server.",
    });
  } else {
    const kind = flavor === "llama-server" && listedCount <= 1 ? "llama-server (one model)" : flavor;
    for (const [model, use] of models) findings.push(modelFinding(model, use, served, names, kind, base));
  }
  if (flavor === "llama-server")
    findings.push(...(await determinism(props.json as Record<string, unknown>, origin, get)));
  findings.push(samplerFinding(flavor, props.json, origin));
  return findings;
}

/** The finding when the server cannot be reached or refuses pc; undefined when it answers. */
function unreachable(base: string, listed: Answer, models: Map<string, ModelUse>): Finding | undefined {
  const all: ModelUse = {
    prompts: [...models.values()].flatMap((u) => u.prompts),
    needed: [...models.values()].some((u) => u.needed),
  };
  const level = engineLevel(all);
  const who = `${models.size === 1 ? "model" : "models"} ${[...models.keys()].join(", ")} (${usedBy(all)})`;
  if (listed.failure) {
    return {
      level,
      check: "engine.reachable",
      subject: base,
      what: `cannot reach ${base} (${listed.failure}) for ${who}`,
      fix: startServerHint(base),
    };
  }
  if (listed.status === 401 || listed.status === 403) {
    return {
      level,
      check: "engine.reachable",
      subject: base,
      what: `${base} refuses pc (HTTP ${listed.status}) for ${who}`,
      fix: "Set PC_API_KEY to a key the server accepts.",
    };
  }
  return undefined;
}

/** Which server it is, from the endpoints only one kind answers: llama-server's /props, Ollama's /api/tags, vLLM's /version. */
async function serverFlavor(origin: string, get: Get): Promise<{ flavor: Flavor; props: Answer; tags: Answer }> {
  const props = await get(`${origin}/props`);
  const isLlama = isObject(props.json) && ("total_slots" in props.json || "default_generation_settings" in props.json);
  const tags: Answer = isLlama ? {} : await get(`${origin}/api/tags`);
  const vllm =
    isLlama || (isObject(tags.json) && Array.isArray(tags.json.models)) ? {} : await get(`${origin}/version`);
  const flavor: Flavor = isLlama
    ? "llama-server"
    : isObject(tags.json) && Array.isArray(tags.json.models)
      ? "ollama"
      : isObject(vllm.json) && typeof vllm.json.version === "string"
        ? "vllm"
        : "openai";
  return { flavor, props, tags };
}

/**
 * `served` is what a pinned name may match (with llama-server, its model file too); `names` is what
 * the server lists, for messages; `listedCount` how many models /v1/models lists.
 */
function servedModels(
  flavor: Flavor,
  listed: Answer,
  props: Answer,
  tags: Answer,
): { served: Set<string>; names: string[]; listedCount: number } {
  const served = new Set<string>();
  const data = isObject(listed.json) && Array.isArray(listed.json.data) ? listed.json.data : [];
  for (const m of data) if (isObject(m) && typeof m.id === "string") served.add(m.id);
  if (flavor === "ollama")
    for (const m of (tags.json as { models: unknown[] }).models)
      if (isObject(m) && typeof m.name === "string") served.add(m.name);
  const names = [...served];
  if (flavor === "llama-server" && isObject(props.json) && typeof props.json.model_path === "string") {
    const file = props.json.model_path.replace(/^.*[\\/]/, ""); // the file name
    served.add(file).add(file.replace(/\.gguf$/i, ""));
  }
  return { served, names, listedCount: data.length };
}

function modelFinding(
  model: string,
  use: ModelUse,
  served: Set<string>,
  names: string[],
  flavor: Flavor | "llama-server (one model)",
  base: string,
): Finding {
  const present =
    served.has(model) || served.has(`${model}:latest`) || (model.endsWith(":latest") && served.has(model.slice(0, -7)));
  if (present)
    return { level: "ok", check: "engine.model", subject: model, what: `${base} serves ${model} (${usedBy(use)})` };
  const list = names.sort().join(", ") || "none";
  if (flavor === "ollama") {
    return {
      level: engineLevel(use),
      check: "engine.model",
      subject: model,
      what: `Ollama at ${base} does not have ${model} (${usedBy(use)}); it has: ${list}`,
      fix: `ollama pull ${model}`,
    };
  }
  if (flavor === "llama-server (one model)") {
    // One loaded model: llama-server answers any model name with it, so the lock would name a model that did not answer.
    return {
      level: "warn",
      check: "engine.model",
      subject: model,
      what: `llama-server at ${base} serves ${list}, not ${model} (${usedBy(use)}); it would answer with its own model`,
      fix: `Start llama-server with the model's file and --alias ${model}, or pin the model it serves.`,
    };
  }
  return {
    level: engineLevel(use),
    check: "engine.model",
    subject: model,
    what: `${base} does not serve ${model} (${usedBy(use)}); it serves: ${list}`,
    fix: `Load ${model} on the server, or pin one of the models it serves.`,
  };
}

/** Whether pc can pin every sampler on this server, and which server defaults it overrides. */
function samplerFinding(flavor: Flavor, props: unknown, origin: string): Finding {
  if (flavor === "openai") {
    return {
      level: "warn",
      check: "engine.samplers",
      subject: origin,
      what: `the server is not one pc recognises (llama-server /props, Ollama /api/version, vLLM /version), so it gets the standard OpenAI fields only: its own defaults decide ${unpinnedBy("openai").join(", ")}`,
      fix: "Serve the model with llama-server, Ollama or vLLM, or make sure the server's sampler settings never change (an upgrade can change its defaults, and with them every answer).",
    };
  }
  if (flavor === "llama-server") {
    const settings =
      isObject(props) && isObject(props.default_generation_settings) ? props.default_generation_settings : {};
    const defaults = nonNeutralDefaults(isObject(settings.params) ? settings.params : {});
    const overridden = defaults.length ? ` (its defaults ${defaults.join(", ")} do not apply)` : "";
    return {
      level: "ok",
      check: "engine.samplers",
      subject: origin,
      what: `pc sends every sampler llama-server has with each request${overridden}`,
    };
  }
  if (flavor === "ollama") {
    return {
      level: "ok",
      check: "engine.samplers",
      subject: origin,
      what: "pc sends every Ollama option with each request through its native /api/chat (num_ctx included), so no Modelfile default decides",
    };
  }
  return {
    level: "ok",
    check: "engine.samplers",
    subject: origin,
    what: "pc sends vLLM's sampling parameters (top_k, min_p, repetition_penalty ...) with each request",
  };
}

/** llama-server settings that make an answer depend on other requests. */
async function determinism(
  props: Record<string, unknown>,
  origin: string,
  get: (url: string) => Promise<Answer>,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  let slots = typeof props.total_slots === "number" ? props.total_slots : undefined;
  if (slots === undefined) {
    const listed = await get(`${origin}/slots`);
    if (Array.isArray(listed.json)) slots = listed.json.length;
  }
  if (slots === undefined) {
    findings.push({
      level: "warn",
      check: "engine.slots",
      subject: origin,
      what: "llama-server does not say how many slots it has (/props and /slots)",
      fix: "Start llama-server with --parallel 1 to be sure requests are never batched together.",
    });
  } else if (slots > 1) {
    findings.push({
      level: "warn",
      check: "engine.slots",
      subject: origin,
      what: `llama-server runs ${slots} slots: requests served at the same time share batches, so an answer can change with what else is running, even for a fixed seed`,
      fix: "Restart llama-server with --parallel 1 (-np 1), and build with -j 1 (the default).",
    });
  } else {
    findings.push({
      level: "ok",
      check: "engine.slots",
      subject: origin,
      what: "llama-server runs one slot: requests are never batched together",
    });
  }
  const settings = isObject(props.default_generation_settings) ? props.default_generation_settings : {};
  const params = isObject(settings.params) ? settings.params : {};
  const cachePrompt = settings.cache_prompt ?? params.cache_prompt;
  if (cachePrompt === true) {
    findings.push({
      level: "warn",
      check: "engine.prompt-cache",
      subject: origin,
      what: "llama-server has prompt caching on: a request can start from another request's cached state, which changes its answer for a fixed seed (pc asks for cache_prompt: false in each request, which older servers ignore)",
      fix: "Restart llama-server with --no-cache-prompt.",
    });
  } else if (cachePrompt === false) {
    findings.push({
      level: "ok",
      check: "engine.prompt-cache",
      subject: origin,
      what: "llama-server has prompt caching off",
    });
  }
  return findings;
}

async function describe(
  flavor: Flavor,
  props: unknown,
  origin: string,
  get: (url: string) => Promise<Answer>,
): Promise<string> {
  if (flavor === "llama-server") {
    const build = isObject(props) && typeof props.build_info === "string" ? ` ${props.build_info}` : "";
    return `llama-server${build}`;
  }
  if (flavor === "vllm") return "vLLM";
  if (flavor === "ollama") {
    const version = (await get(`${origin}/api/version`)).json;
    return `Ollama${isObject(version) && typeof version.version === "string" ? ` ${version.version}` : ""}`;
  }
  return "an OpenAI-compatible server";
}

async function getJson(url: string, apiKey: string | undefined, timeoutMs: number): Promise<Answer> {
  try {
    const response = await httpFetch(url, {
      headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json };
  } catch (error) {
    return { failure: failureOf(error, timeoutMs) };
  }
}

function failureOf(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === "TimeoutError") return `no answer within ${timeoutMs / 1000} s`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
