import type { ErrorObject } from "ajv";
import { PcError, excerpt } from "../util/errors.js";
import type { ModelIdentity } from "../engine/types.js";
import { describeSchemaErrors, validator } from "../util/schema.js";

export const LOCK_FILE = "promptfile.lock";
export const LOCKFILE_VERSION = 1;

export type OutputSource = "llm" | "cache" | "chat" | "hand";

/** What the lock proves about one prompt: which inputs produced which bytes, and how. */
export interface LockEntry {
  version: number;
  model: string;
  seed: number;
  temperature: number;
  /** The other sampling pins as sent (top_p always; top_k, max_tokens, stop when pinned). */
  sampling: Record<string, unknown>;
  /** Version of pc's answer protocol. */
  protocol: number;
  inputHash: string;
  /** Hash of exactly what the engine was asked: the cache key of the generation. */
  requestHash: string;
  /** Every file the prompt read, posix path -> sha256 of its bytes. */
  inputs: Record<string, string>;
  /** Context globs, re-expanded to notice new matches. */
  contextGlobs?: string[];
  /** Every output, posix path -> sha256 of the bytes on disk. */
  outputs: Record<string, string>;
  source: OutputSource;
  /** For `chat`: the label given to `pc accept --model`. */
  label?: string;
  /** The model identity the engine reported. */
  engine?: ModelIdentity;
  usage?: { promptTokens: number; completionTokens: number };
  durationMs?: number;
  /** Whether the prompt's checks passed on the recorded outputs, and how long they took. */
  checks?: CheckSummary;
  /**
   * Set by `pc lock --repair` when an output on disk did not match its recorded hash: the hash of
   * the bytes on disk is recorded and this says why the prompt must be regenerated.
   */
  stale?: string;
}

/** What a prompt's checks said of its outputs. */
export interface CheckSummary {
  /** The checks (commands, timeout, input bytes) the verdict holds for: see plan/hash.ts. */
  hash?: string;
  passed: boolean;
  durationMs: number;
  /** Why they failed: the failing command and the line that says why. */
  failure?: string;
}

export interface Lock {
  lockfileVersion: number;
  prompts: Record<string, LockEntry>;
}

export function emptyLock(): Lock {
  return { lockfileVersion: LOCKFILE_VERSION, prompts: {} };
}

const FIX =
  "Restore it from version control (git checkout promptfile.lock), or rebuild it from the outputs on disk and the generation cache with `pc lock --repair` (the damaged file is kept as a backup).";

/**
 * Parses the lock's text. Pure. Never guesses: anything unexpected is an error naming the file.
 * `checked`: this exact text passed the schema before (see readLock), so it is not validated again.
 */
export function parseLock(text: string, file = LOCK_FILE, checked = false): Lock {
  // The plain search first: a multi-line regex over the lock of 1,000 prompts takes a few ms.
  const marked = text.includes("<<<<<<<") || text.includes("=======") || text.includes(">>>>>>>");
  const conflict = marked ? /^(<{7}|={7}|>{7})( |$)/m.exec(text) : null;
  if (conflict) {
    const line = text.slice(0, conflict.index).split("\n").length;
    throw new PcError("PC_LOCK_CONFLICT", "has unresolved git conflict markers", {
      file,
      line,
      hint: "Resolve the merge: `pc lock --repair` keeps, for each prompt, the side whose outputs are on disk (the file is kept as a backup); or take one side (git checkout --theirs promptfile.lock) and run `pc lock --repair` to re-check the outputs.",
    });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PcError("PC_LOCK_INVALID", `is not valid JSON (truncated or corrupt): ${(error as Error).message}`, {
      file,
      hint: `Found: ${excerpt(text.slice(-120))}\n${FIX}`,
      cause: error,
    });
  }
  const version = (data as { lockfileVersion?: unknown } | null)?.lockfileVersion;
  if (typeof version === "number" && version > LOCKFILE_VERSION) {
    throw new PcError(
      "PC_LOCK_VERSION",
      `has lockfileVersion ${version}, newer than this pc understands (${LOCKFILE_VERSION})`,
      {
        file,
        key: "lockfileVersion",
        hint: "Upgrade pc (npm install promptcode@latest); the lock was not touched.",
      },
    );
  }
  // The note that says pc wrote this text lives in .pc/, which may come from elsewhere: a text
  // that is not even shaped like a lock is validated whatever the note says.
  const validate = checked && shapedLikeLock(data) ? undefined : validator("lock");
  if (validate && !validate(data)) {
    throw new PcError("PC_LOCK_INVALID", `is not a valid lock: ${schemaProblem(validate.errors ?? [])}`, {
      file,
      hint: FIX,
    });
  }
  return data as Lock;
}

/** The first schema error in the user's words: where it is (entry and key), then what is wrong there. */
function schemaProblem(errors: ErrorObject[]): string {
  const error = errors.find((e) => e.keyword !== "oneOf" && e.keyword !== "not");
  if (!error) return "invalid";
  const where = describePointer(error.instancePath);
  // A missing or unknown key is named by its own message (with a did-you-mean); anything else is said of its place.
  if (error.keyword === "required" || error.keyword === "additionalProperties") {
    const problem = describeSchemaErrors([error], ["lockfileVersion", "prompts"]).at(0);
    if (problem) return where ? `${where}: ${problem.message}` : problem.message;
  }
  const allowed = error.keyword === "enum" ? ` (${(error.params.allowedValues as unknown[]).join(", ")})` : "";
  const what = `${error.message ?? "is invalid"}${allowed}`;
  return where ? `${where}: ${what}` : `the file ${what}`;
}

/** The structure every reader of the lock relies on, checked in one pass (much cheaper than the schema). */
function shapedLikeLock(data: unknown): boolean {
  const prompts = (data as { prompts?: unknown } | null)?.prompts;
  if (typeof prompts !== "object" || prompts === null || Array.isArray(prompts)) return false;
  const hashes = (v: unknown) =>
    typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((h) => typeof h === "string");
  return Object.values(prompts).every(
    (e: Partial<LockEntry>) =>
      typeof e === "object" && e !== null && hashes(e.inputs) && hashes(e.outputs) && typeof e.inputHash === "string",
  );
}

/** `/prompts/prompts~1a.md/inputHash` -> `entry "prompts/a.md", inputHash`. */
function describePointer(pointer: string): string {
  const parts = pointer
    .split("/")
    .slice(1)
    .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
  if (parts[0] === "prompts" && parts[1] !== undefined) {
    return `entry "${parts[1]}"${parts.length > 2 ? `, ${parts.slice(2).join(".")}` : ""}`;
  }
  return parts.join(".");
}

/**
 * Serializes the lock: keys sorted at every level, two-space indent, newline at end; the same bytes
 * as `JSON.stringify` of the sorted lock. A build writes the lock each time prompts finish, and
 * re-sorting every entry each time was a large part of a cache restore of many prompts: each
 * entry's text is kept with the entry object, which is never changed once in
 * a lock (a new build result replaces it).
 */
export function serializeLock(lock: Lock): string {
  const entries = Object.keys(lock.prompts)
    .sort()
    .flatMap((name) => {
      const entry: LockEntry | undefined = lock.prompts[name];
      return entry === undefined ? [] : [`    ${JSON.stringify(name)}: ${entryText(entry)}`];
    });
  const prompts = entries.length ? `{\n${entries.join(",\n")}\n  }` : "{}";
  return `{\n  "lockfileVersion": ${JSON.stringify(lock.lockfileVersion)},\n  "prompts": ${prompts}\n}\n`;
}

const entryTexts = new WeakMap<LockEntry, string>();

/** An entry as it appears in the lock, indented to its depth (JSON strings hold no raw newline). */
function entryText(entry: LockEntry): string {
  let text = entryTexts.get(entry);
  if (text === undefined) {
    text = JSON.stringify(sortKeys(entry), null, 2).replace(/\n/g, "\n    ");
    entryTexts.set(entry, text);
  }
  return text;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    // fromEntries defines own properties: a file named `__proto__` stays a key, not a prototype.
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}
