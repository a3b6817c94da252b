import { Formatter } from "../answer/format.js";
import { GenerationStore } from "../cache/store.js";
import { PcError, toPcError } from "../util/errors.js";
import { determinismHints, identityChanges, probeServer, type ServerReport } from "../engine/determinism.js";
import { engineKindOf, resolveBaseURL, type EngineKind } from "../engine/engine-factory.js";
import type { ModelIdentity } from "../engine/types.js";
import { selectPrompts } from "../plan/selection.js";
import { loadProject, type Project, type LoadedPrompt } from "../plan/project.js";
import { readyToGenerate } from "../plan/one-prompt.js";
import { staleReasons } from "../plan/states.js";
import { enginePoolFor, type EngineEvent, type EngineOptions } from "../execute/engines.js";
import { produce } from "../execute/generate.js";
import { compareOutputs, type VerifiedOutput } from "./verify-compare.js";

export interface VerifyOptions extends EngineOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** Limit the check to these prompts (prompt files, outputs or folders). */
  paths?: string[];
  signal?: AbortSignal;
  onEvent?: (event: VerifyEvent) => void;
}

/**
 * `reproducible`: the prompt regenerates to the recorded bytes. `differs`: it does not, or the file
 * on disk is not what it produces. `not-built`: no lock entry. `unverifiable`: the lock cannot be
 * checked as it stands (the inputs changed since, or a person supplied the answer). `failed`: the
 * prompt is invalid or the engine failed.
 */
export type VerifyOutcome = "reproducible" | "differs" | "not-built" | "unverifiable" | "failed";

export interface PromptVerifyResult {
  prompt: string;
  outcome: VerifyOutcome;
  reasons: string[];
  outputs: VerifiedOutput[];
  model?: string;
  engine?: EngineKind;
  /** What may explain a difference: identity changes, server settings, common causes. */
  hints: string[];
  error?: PcError;
}

export type VerifyEvent =
  | { type: "start"; prompt: string; model: string }
  | { type: "progress"; prompt: string; tokens: number; elapsedMs: number }
  | { type: "done"; result: PromptVerifyResult }
  | EngineEvent;

export interface VerifyReport {
  /** No prompt differs and none failed. */
  ok: boolean;
  prompts: PromptVerifyResult[];
  totals: Record<VerifyOutcome, number>;
  durationMs: number;
}

/**
 * Regenerates each selected prompt from its current inputs, without the cache and without writing
 * anything (no outputs, no lock, no cache entries), post-processes the answer exactly like a build,
 * and compares the bytes with the lock and the files on disk. One prompt at a time, so nothing
 * else runs on an engine while it regenerates.
 */
export async function verify(options: VerifyOptions = {}): Promise<VerifyReport> {
  const started = performance.now();
  const cwd = options.cwd ?? process.cwd();
  const project = await loadProject(cwd, { renderAll: true });
  const selected = new Set(selectPrompts(project, cwd, options.paths) ?? project.prompts.keys());
  const engines = enginePoolFor(project, options, options.onEvent);
  const store = new GenerationStore(project.root);
  const servers = new Map<string, Promise<ServerReport | undefined>>();
  const formatter = new Formatter(project.root);
  const results: PromptVerifyResult[] = [];
  try {
    for (const prompt of project.graph.order) {
      const loaded = project.prompts.get(prompt);
      if (!loaded || !selected.has(prompt)) continue;
      if (options.signal?.aborted) break;
      const result = await verifyOne(project, loaded, { options, engines, store, formatter, servers });
      results.push(result);
      options.onEvent?.({ type: "done", result });
    }
  } finally {
    await engines.close();
  }
  const totals = { reproducible: 0, differs: 0, "not-built": 0, unverifiable: 0, failed: 0 };
  for (const r of results) totals[r.outcome]++;
  return {
    ok: totals.differs === 0 && totals.failed === 0,
    prompts: results,
    totals,
    durationMs: Math.round(performance.now() - started),
  };
}

interface Context {
  options: VerifyOptions;
  engines: ReturnType<typeof enginePoolFor>;
  store: GenerationStore;
  formatter: Formatter;
  servers: Map<string, Promise<ServerReport | undefined>>;
}

async function verifyOne(project: Project, loaded: LoadedPrompt, context: Context): Promise<PromptVerifyResult> {
  const { options, engines, store } = context;
  const base = { prompt: loaded.prompt, outputs: [] as VerifiedOutput[], hints: [] as string[] };
  const error = project.graph.errors.get(loaded.prompt) ?? (loaded.stage === "invalid" ? loaded.error : undefined);
  if (error) return { ...base, outcome: "failed", reasons: [error.message], error };
  const entry = loaded.entry;
  if (!entry) return { ...base, outcome: "not-built", reasons: ["no lock entry: pc build generates it"] };
  if (entry.source === "chat" || entry.source === "hand") {
    return {
      ...base,
      outcome: "unverifiable",
      reasons: [
        `its outputs were ${entry.source === "chat" ? "pasted from a chat" : "accepted as edited by hand"}, not generated by pc`,
      ],
    };
  }
  if (loaded.stage === "waiting")
    return { ...base, outcome: "unverifiable", reasons: [`an output of ${loaded.waitsFor} it reads is missing`] };
  const rendered = readyToGenerate(loaded);
  if (rendered.hashes.inputHash !== entry.inputHash) {
    return {
      ...base,
      outcome: "unverifiable",
      reasons: [...staleReasons(loaded, entry), "the lock records other inputs: pc build regenerates it"],
    };
  }

  const model = rendered.parsed.frontmatter.model;
  const kind = engineKindOf(model);
  options.onEvent?.({ type: "start", prompt: loaded.prompt, model });
  const withModel = { ...base, model, engine: kind };
  let regenerated: { outputs: Record<string, string>; identity?: ModelIdentity };
  try {
    const produced = await produce(rendered, {
      root: project.root,
      formatter: context.formatter,
      engines,
      cache: false,
      offline: false,
      signal: options.signal,
      onProgress: (p) => options.onEvent?.({ type: "progress", ...p }),
    });
    regenerated = { outputs: produced.outputs, identity: produced.generation.identity };
  } catch (caught) {
    const pcError = toPcError(caught, "PC_ENGINE_ERROR", { file: loaded.prompt });
    // The recorded answer made it through extraction; an answer that does not is another answer.
    if (pcError.code.startsWith("PC_ANSWER_")) {
      const hints = determinismHints(kind, [], await serverReport(context, kind, project));
      return {
        ...withModel,
        outcome: "differs",
        reasons: [`the regenerated answer is unusable: ${pcError.message}`],
        hints,
        error: pcError,
      };
    }
    return { ...withModel, outcome: "failed", reasons: [pcError.message], error: pcError };
  }

  const outputs = await compareOutputs(project.root, entry, regenerated.outputs, store);
  if (outputs.every((o) => o.matches)) {
    const missing = outputs
      .filter((o) => o.onDisk === undefined)
      .map((o) => `${o.path} is missing on disk (pc build restores it)`);
    return { ...withModel, outcome: "reproducible", reasons: missing, outputs };
  }
  const reasons = outputs.flatMap((o) => (o.problem ? [o.problem] : []));
  // Only a different answer calls for an explanation; a hand-edited file explains itself.
  const answerDiffers = outputs.some((o) => o.regenerated !== o.recorded);
  const changes = regenerated.identity ? identityChanges(entry.engine, regenerated.identity) : [];
  const hints = answerDiffers ? determinismHints(kind, changes, await serverReport(context, kind, project)) : [];
  return { ...withModel, outcome: "differs", reasons, outputs, hints };
}

/** What the server reports about slots and prompt caching, asked once per run. */
function serverReport(context: Context, kind: EngineKind, project: Project): Promise<ServerReport | undefined> {
  if (kind !== "openai") return Promise.resolve(undefined);
  const baseURL = resolveBaseURL(context.options.baseUrl, project.config);
  let report = context.servers.get(baseURL);
  if (!report) {
    report = probeServer(baseURL, process.env.PC_API_KEY);
    context.servers.set(baseURL, report);
  }
  return report;
}
