/**
 * The UI's JSON API: each route calls one library command (the same the CLI calls) and returns
 * its report. Long work (build, verify, regenerate) answers when it is done; its progress goes to
 * every open page as server-sent events meanwhile.
 */
import { accept } from "../commands/accept.js";
import { build } from "../commands/build.js";
import { diff } from "../commands/diff.js";
import { graph } from "../commands/graph.js";
import { toMermaid } from "../commands/graph-format.js";
import { log } from "../commands/log.js";
import { render } from "../commands/render.js";
import { status } from "../commands/status.js";
import { verify } from "../commands/verify.js";
import { PcError } from "../util/errors.js";
import type { Live } from "./live.js";

export interface ApiContext {
  root: string;
  /** The OpenAI-compatible server builds use (else PC_BASE_URL, pc.config.json, the default). */
  baseUrl?: string;
  /** Aborts the generations the UI started. */
  signal?: AbortSignal;
  live: Live;
}

type Query = URLSearchParams;
type Body = Record<string, unknown>;
type Route = (context: ApiContext, query: Query, body: Body) => Promise<unknown>;

export const GET: Record<string, Route> = {
  "/api/status": ({ root }) => status({ cwd: root }),
  "/api/prompt": (context, query) => promptPage(context, text(query.get("prompt"), "prompt")),
  "/api/graph": async ({ root }) => {
    const project = await graph({ cwd: root });
    return { mermaid: toMermaid(project), prompts: project.prompts.length };
  },
  "/api/diff": ({ root }, query) =>
    compareGenerations(
      root,
      text(query.get("prompt"), "prompt"),
      text(query.get("old"), "old"),
      text(query.get("new"), "new"),
    ),
};

export const POST: Record<string, Route> = {
  "/api/build": ({ root, baseUrl, signal, live }, _, body) =>
    build({
      cwd: root,
      baseUrl,
      paths: body.prompt === undefined ? undefined : [text(body.prompt, "prompt")],
      force: body.force === true,
      signal,
      onEvent: (event) => live.send("build", event),
    }),
  "/api/verify": ({ root, baseUrl, signal, live }, _, body) =>
    verify({
      cwd: root,
      baseUrl,
      signal,
      paths: [text(body.prompt, "prompt")],
      onEvent: (event) => live.send("verify", event),
    }),
  "/api/accept": ({ root }, _, body) =>
    accept({
      cwd: root,
      prompt: text(body.prompt, "prompt"),
      answer: text(body.answer, "answer"),
      answerSource: "the pasted answer",
      label: typeof body.label === "string" && body.label.trim() ? body.label.trim() : undefined,
      force: body.force === true,
      dryRun: body.dryRun === true,
    }),
  "/api/try": ({ root, baseUrl, signal, live }, _, body) => {
    const prompt = text(body.prompt, "prompt");
    return diff({
      cwd: root,
      baseUrl,
      prompt,
      seed: optionalNumber(body.seed, "seed"),
      temperature: optionalNumber(body.temperature, "temperature"),
      signal,
      onProgress: (p) => live.send("build", { type: "progress", prompt, tokens: p.tokens, elapsedMs: p.elapsedMs }),
    });
  },
};

/** Everything a prompt's page shows: its state, the prompt as the model receives it, its generations. */
async function promptPage({ root }: ApiContext, given: string) {
  // The state first: only a prompt of this project (as the library selects it) is read any further.
  const report = await status({ cwd: root, paths: [given] });
  const state = report.prompts.length === 1 ? report.prompts[0] : report.prompts.find((p) => p.prompt === given);
  if (!state) throw new PcError("PC_PROMPT_NOT_FOUND", `"${given}" is not one prompt of this project`);
  const prompt = state.prompt;
  const [rendered, history] = await Promise.all([
    state.state === "orphaned"
      ? { error: { code: "PC_PROMPT_NOT_FOUND", message: "the prompt file is gone; only its lock entry remains" } }
      : render({ cwd: root, prompt }).catch(failure),
    log({ cwd: root, prompt }).catch(failure),
  ]);
  return { status: state, render: rendered, log: history };
}

/**
 * Two sides of a comparison: a generation (an id from the log) or "disk", the files as they are.
 * The library compares one generation with the files on disk; two generations are two such
 * comparisons, of which the generation sides are kept.
 */
async function compareGenerations(root: string, prompt: string, older: string, newer: string) {
  if (older === "disk" && newer === "disk")
    throw new PcError("PC_USAGE", "choose at least one generation to compare with the files on disk");
  const first = await diff({ cwd: root, prompt, against: older === "disk" ? newer : older });
  if (older === "disk") return { prompt, old: first.new, new: first.old };
  if (newer === "disk") return { prompt, old: first.old, new: first.new };
  const second = await diff({ cwd: root, prompt, against: newer });
  return { prompt, old: first.old, new: second.old };
}

function text(value: unknown, name: string): string {
  if (typeof value !== "string" || value === "") throw new PcError("PC_USAGE", `the request needs "${name}"`);
  return value;
}

function optionalNumber(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new PcError("PC_USAGE", `${name} must be a number, got "${String(value)}"`);
  return n;
}

/** A failed part of a page (an invalid prompt renders nothing), shown in its place. */
function failure(error: unknown): { error: ReturnType<typeof errorJson> } {
  if (!(error instanceof PcError)) throw error;
  return { error: errorJson(error) };
}

/** An error as the pages show it: the code, and the full message with where and how to fix it. */
export function errorJson(error: PcError) {
  return { code: error.code, message: error.format() };
}
