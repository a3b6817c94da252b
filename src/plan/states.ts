import { existsSync } from "node:fs";
import path from "node:path";
import { PcError } from "../util/errors.js";
import { NOT_A_FILE } from "./file-hashes.js";
import type { CheckSummary, LockEntry, OutputSource } from "../lock/lockfile.js";
import { sha256 } from "../util/fs.js";
import { lockedModelName } from "../util/model-path.js";
import { SAMPLERS_PINNED, canCarryOver, carryOverNote, recordedBeforeSamplers } from "./carry-over.js";
import { samplingOf } from "./hash.js";
import { localModelPath, type Project, type LoadedPrompt } from "./project.js";

export type PromptState = "fresh" | "stale" | "new" | "missing" | "drifted" | "orphaned" | "failed" | "invalid";

export interface PromptStatus {
  prompt: string;
  state: PromptState;
  /** Why the prompt is in this state, in the user's words. */
  reasons: string[];
  outputs: string[];
  /** Where the recorded outputs came from. */
  source?: OutputSource;
  /** For a chat answer: what wrote it, as given to `pc accept --model`. */
  label?: string;
  /** The pinned model (from the prompt, else from its lock entry). */
  model?: string;
  /** How long the recorded generation took. */
  durationMs?: number;
  /** Prompts whose outputs this one reads. */
  dependsOn: string[];
  /** What the prompt's checks said of the recorded outputs (prompts with a `check` key). */
  checks?: CheckSummary;
  error?: PcError;
}

/** States that `pc build` acts on without --force. */
export const BUILDABLE: ReadonlySet<PromptState> = new Set(["new", "stale", "missing", "failed"]);

/**
 * Computes every prompt's state from the loaded project and the current hashes of its outputs,
 * in dependency order (so staleness cascades), followed by orphaned lock entries.
 */
export async function computeStates(project: Project): Promise<PromptStatus[]> {
  const { prompts, graph, lock, files } = project;
  const outputHashes = new Map<string, string | undefined>();
  for (const loaded of prompts.values()) {
    if (loaded.stage === "invalid") continue; // invalid: its outputs may be anything (a NUL, a path out of the project)
    for (const output of loaded.outputs) {
      const hash = files.hashNow(output); // a promise only for a large file (see FileHashes.hashNow)
      outputHashes.set(output, hash instanceof Promise ? await hash : hash);
    }
  }
  const byPrompt = new Map<string, PromptStatus>();
  for (const prompt of graph.order) {
    const loaded = prompts.get(prompt);
    if (!loaded) continue; // the graph orders the project's prompts: each is there
    let status = stateOf(loaded, project, outputHashes, byPrompt);
    if (status.state === "drifted") status = (await interruptedWrite(loaded, project, outputHashes, status)) ?? status;
    byPrompt.set(prompt, status);
  }
  const statuses = [...byPrompt.values()]; // in dependency order
  for (const [prompt, entry] of Object.entries(lock.prompts).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!isOrphan(project, prompt)) continue;
    const outputs = Object.keys(entry.outputs);
    statuses.push({
      prompt,
      state: "orphaned",
      reasons: [
        orphanReason(
          prompt,
          outputs.filter((o) => existsSync(path.join(project.root, o))),
        ),
      ],
      outputs,
      source: entry.source,
      label: entry.label,
      model: entry.model,
      durationMs: entry.durationMs,
      dependsOn: [],
    });
  }
  return statuses;
}

/**
 * A lock entry whose prompt file is gone. A prompt that exists but is not built (excluded in
 * pc.config.json) is no orphan: its entry is kept for when it is built again.
 */
export function isOrphan(project: Pick<Project, "root" | "prompts">, prompt: string): boolean {
  return !project.prompts.has(prompt) && !existsSync(path.join(project.root, prompt));
}

/** Why a lock entry is orphaned and what to do, true whether its outputs remain or are gone too. */
function orphanReason(prompt: string, remaining: string[]): string {
  const outputs = remaining.length
    ? `its outputs are kept (${remaining.join(", ")}: delete them if they are no longer wanted)`
    : "its outputs are gone too";
  return `the prompt file is gone and ${outputs}; \`pc build\` drops its lock entry (or restore the prompt: git checkout -- ${prompt})`;
}

function stateOf(
  loaded: LoadedPrompt,
  project: Project,
  outputHashes: Map<string, string | undefined>,
  done: Map<string, PromptStatus>,
): PromptStatus {
  const dependsOn = project.graph.dependsOn.get(loaded.prompt) ?? [];
  const { entry: recorded, parsed } = loaded;
  const base = {
    prompt: loaded.prompt,
    outputs: loaded.outputs,
    dependsOn,
    source: recorded?.source,
    label: recorded?.label,
    model: parsed?.frontmatter.model ?? recorded?.model,
    durationMs: recorded?.durationMs,
    checks: recorded?.checks,
  };
  const error =
    project.graph.errors.get(loaded.prompt) ??
    (loaded.stage === "invalid" ? loaded.error : notAFile(loaded, outputHashes));
  if (error) return { ...base, state: "invalid", reasons: [error.format()], error };

  const entry = loaded.entry;
  const reasons: string[] = [];
  // Its dependencies come before it in dependency order: each is done.
  const notFresh = dependsOn.flatMap((d) => done.get(d) ?? []).filter((d) => d.state !== "fresh");
  // A prompt waiting for another's output depends on it (the output is one of its inputs), which says so.
  for (const dep of notFresh) reasons.push(`depends on ${dep.prompt} (${dep.state})`);
  const waiting = loaded.stage === "waiting";

  if (!entry) {
    const existing = loaded.outputs.filter((o) => outputHashes.get(o) !== undefined);
    if (existing.length > 0) {
      return {
        ...base,
        state: "drifted",
        reasons: existing.map(
          (o) => `${o} exists but was not generated by this prompt (pc accept adopts it, --force replaces it)`,
        ),
      };
    }
    const failure = lastFailure(loaded, project);
    if (failure) return { ...base, state: "failed", reasons: [failure, "not built yet", ...reasons] };
    return { ...base, state: "new", reasons: ["not built yet", ...reasons] };
  }

  const drifted = loaded.outputs.filter(
    (o) => outputHashes.get(o) !== undefined && outputHashes.get(o) !== entry.outputs[o],
  );
  const missing = loaded.outputs.filter((o) => outputHashes.get(o) === undefined);
  // A waiting prompt's hashes, if any, are of the files there are: not yet the request it will send.
  if (!waiting && loaded.hashes && loaded.hashes.inputHash !== entry.inputHash)
    reasons.unshift(...staleReasons(loaded, entry));
  if (entry.stale) reasons.unshift(entry.stale);
  if (drifted.length > 0) {
    const kept = drifted.map((o) => `${o} was edited by hand (pc accept keeps the edit, pc build --force regenerates)`);
    return { ...base, state: "drifted", reasons: [...kept, ...reasons] };
  }
  if (missing.length > 0)
    return { ...base, state: "missing", reasons: [...missing.map((o) => `${o} is missing`), ...reasons] };
  const failure = lastFailure(loaded, project);
  if (failure) return { ...base, state: "failed", reasons: [failure, ...reasons] };
  if (reasons.length > 0) return { ...base, state: "stale", reasons };
  return { ...base, state: "fresh", reasons: [] };
}

/**
 * Outputs that differ from the lock but are the very bytes a cached generation of the prompt's
 * current request wrote are no hand edit: a build was stopped (killed, power cut) after writing
 * them and before recording them in the lock. The prompt is then to be built, which restores that
 * generation from the cache (no model call) and records it; a real hand edit stays drifted.
 */
async function interruptedWrite(
  loaded: LoadedPrompt,
  project: Project,
  outputHashes: Map<string, string | undefined>,
  status: PromptStatus,
): Promise<PromptStatus | undefined> {
  if (!loaded.hashes) return undefined; // waiting for another prompt's output, with no request yet
  const recorded = loaded.entry?.outputs ?? {};
  const [{ GenerationStore }, { writtenByPc }] = await Promise.all([
    import("../cache/store.js"),
    import("../cache/own-writes.js"),
  ]);
  const store = new GenerationStore(project.root);
  for (const generation of await store.list(loaded.hashes.requestHash)) {
    const written = (o: string) =>
      generation.outputs[o] !== undefined && sha256(generation.outputs[o]) === outputHashes.get(o);
    // Each output is either written already or not yet replaced (the stop came between two files).
    if (!loaded.outputs.every((o) => written(o) || outputHashes.get(o) === recorded[o])) continue;
    const reasons = loaded.outputs
      .filter((o) => outputHashes.get(o) !== recorded[o])
      .map(
        (o) =>
          `${o} was written by a build that was stopped before recording it (it is the cached generation; no model call)`,
      );
    return { ...status, state: loaded.entry ? "stale" : "new", reasons };
  }
  // Written by a build of an earlier request (its inputs changed since): no hand edit either, it is regenerated.
  const changed = loaded.outputs.flatMap((output) => {
    const hash = outputHashes.get(output);
    return hash !== undefined && hash !== recorded[output] ? [{ output, hash }] : [];
  });
  for (const { output, hash } of changed)
    if (!(await writtenByPc(store, loaded.prompt, output, hash))) return undefined;
  const reasons = changed.map(
    ({ output: o }) =>
      `${o} was written by an earlier build that was stopped before recording it (kept in the cache); it is regenerated`,
  );
  return {
    ...status,
    state: loaded.entry ? "stale" : "new",
    reasons: [...reasons, ...status.reasons.filter((r) => !changed.some(({ output }) => r.startsWith(`${output} `)))],
  };
}

/** An output that is a folder, a device or a link out of the project: the prompt cannot be built until it is a file. */
function notAFile(loaded: LoadedPrompt, outputHashes: Map<string, string | undefined>): PcError | undefined {
  const output = loaded.outputs.find((o) => outputHashes.get(o) === NOT_A_FILE);
  if (output === undefined) return undefined;
  return new PcError(
    "PC_OUTPUT_CONFLICT",
    `output "${output}" is not a regular file of the project (a folder, a device, or a symlink out of it)`,
    {
      file: loaded.prompt,
      key: "output",
      hint: "Move it away (an output is one file the prompt writes), then build again.",
    },
  );
}

/** The last build's failure of this prompt, if its inputs are still the ones that failed. */
function lastFailure(loaded: LoadedPrompt, project: Project): string | undefined {
  const failure = project.failures[loaded.prompt];
  return failure && failure.inputHash === loaded.hashes?.inputHash
    ? `last build failed: ${failure.message}`
    : undefined;
}

/** Says which input changed, comparing the lock entry with the current prompt. */
export function staleReasons(loaded: LoadedPrompt, entry: LockEntry): string[] {
  const reasons: string[] = [];
  // The pins of the prompt's text: parsed, or recorded for the same text before.
  const pins = loaded.parsed?.frontmatter ?? loaded.recalled;
  if (pins) {
    for (const key of ["model", "seed", "temperature", "version"] as const) {
      const pinned = key === "model" ? lockedModelName(pins.model) : pins[key];
      if (pinned !== entry[key])
        reasons.push(`${key} changed: ${JSON.stringify(entry[key])} -> ${JSON.stringify(pins[key])}`);
    }
  }
  const now = loaded.inputHashes;
  const modelFile = pins ? localModelPath(pins.model) : undefined;
  for (const [file, hash] of Object.entries(now)) {
    const before = entry.inputs[file];
    if (!(file in entry.inputs)) reasons.push(`new input ${file}`);
    else if (before === hash) continue;
    else if (file === modelFile)
      reasons.push(`the model changed: ${file} is another file now (${short(before)} -> ${short(hash)})`);
    else reasons.push(file === loaded.prompt ? `${file} changed` : `input ${file} changed`);
  }
  for (const file of Object.keys(entry.inputs)) if (!(file in now)) reasons.push(`input ${file} removed`);
  // A model outside the project is an input by its hash only: nothing else changed, so it did.
  if (reasons.length === 0 && pins && modelFile !== undefined && !(modelFile in now))
    reasons.push(`the model changed: ${lockedModelName(pins.model).slice(5)} is another file now`);
  if (reasons.length === 0 && recordedBeforeSamplers(entry)) {
    reasons.push(canCarryOver(loaded, entry) ? `${SAMPLERS_PINNED}; ${carryOverNote(entry)}` : SAMPLERS_PINNED);
  } else if (pins && loaded.parsed && entry.sampling && !recordedBeforeSamplers(entry)) {
    reasons.push(...samplerChanges(entry.sampling, { ...samplingOf(loaded.parsed) }));
  }
  if (reasons.length === 0) {
    reasons.push(
      entry.protocol !== undefined && entry.requestHash
        ? "rendered prompt or pins changed"
        : "lock entry is from another pc version",
    );
  }
  return reasons;
}

/** The samplers whose recorded value differs from the prompt's current one, as `name changed: old -> new`. */
function samplerChanges(recorded: Record<string, unknown>, current: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(recorded), ...Object.keys(current)])].sort();
  return keys
    .filter((key) => JSON.stringify(recorded[key]) !== JSON.stringify(current[key]))
    .map(
      (key) =>
        `sampler ${key} changed: ${JSON.stringify(recorded[key]) ?? "(unset)"} -> ${JSON.stringify(current[key]) ?? "(unset)"}`,
    );
}

/** `sha256:` and the first 12 hex digits: enough to tell two files apart in a message. */
function short(hash: string): string {
  return hash.slice(0, "sha256:".length + 12);
}
