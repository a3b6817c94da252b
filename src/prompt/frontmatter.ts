import type matter from "gray-matter";
import path from "node:path";
import { PINNABLE_SAMPLERS } from "../engine/samplers.js";
import { PcError, excerpt } from "../util/errors.js";
import { requireCjs } from "../util/require-cjs.js";
import { describeSchemaErrors, validator } from "../util/schema.js";

const parseMatter = requireCjs("gray-matter") as typeof matter;

/** The frontmatter of a prompt file, validated. Keys as written in the file. */
export interface Frontmatter {
  version: number;
  model: string;
  seed: number;
  temperature: number;
  output?: string;
  outputs?: string[];
  context?: string[];
  system?: string;
  max_tokens?: number;
  top_p?: number;
  top_k?: number;
  min_p?: number;
  typical_p?: number;
  repeat_penalty?: number;
  repeat_last_n?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  mirostat?: number;
  mirostat_tau?: number;
  mirostat_eta?: number;
  dry_multiplier?: number;
  xtc_probability?: number;
  xtc_threshold?: number;
  top_n_sigma?: number;
  /** Reasoning on or off, or an effort level (models that have one). */
  think?: boolean | "low" | "medium" | "high";
  /** Ollama's context size. */
  num_ctx?: number;
  stop?: string | string[];
  format?: boolean;
  vars?: Record<string, unknown>;
  extract?: "fenced" | "raw";
  description?: string;
  /** Shell commands run from the project root after the outputs are written; a generation is kept only when they pass. */
  check?: string | string[];
  /** Files (paths or globs) the checks read: inputs of the prompt, hashed but not sent to the model. */
  check_inputs?: string[];
  /** Seconds each check command may run (default 60). */
  check_timeout?: number;
}

export const FRONTMATTER_KEYS = [
  "version",
  "model",
  "seed",
  "temperature",
  "output",
  "outputs",
  "context",
  "system",
  "max_tokens",
  ...PINNABLE_SAMPLERS,
  "think",
  "num_ctx",
  "stop",
  "format",
  "vars",
  "extract",
  "description",
  "check",
  "check_inputs",
  "check_timeout",
];

export interface ParsedPrompt {
  /** Posix path relative to the project root. */
  path: string;
  frontmatter: Frontmatter;
  /** The template body (LF line endings, no BOM). */
  body: string;
  /** 1-based line of the file where the body starts. */
  bodyLine: number;
  /** The output paths, whether given as `output` or `outputs`. */
  outputs: string[];
}

const EXAMPLE = `---
version: 1
model: qwen2.5-coder:7b
seed: 42
temperature: 0
output: generated/hello.py
---
Write a Python script that prints "hello".`;

const refuseCode = () => {
  throw new PcError("PC_FRONTMATTER_JS", "JavaScript frontmatter is not evaluated");
};

/** A PC_FRONTMATTER_INVALID error of the prompt, with a valid prompt as the hint unless another is given. */
type Fail = (message: string, details?: { line?: number; key?: string; hint?: string; cause?: unknown }) => PcError;

/** Parses and validates a prompt file's text. Pure: no I/O. Throws PcError naming file, line and key. */
export function parsePrompt(file: string, source: string): ParsedPrompt {
  const text = source.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  const fail: Fail = (message, details = {}) =>
    new PcError("PC_FRONTMATTER_INVALID", message, { file, hint: `A valid prompt:\n${EXAMPLE}`, ...details });
  checkDelimiters(file, text, fail);
  const { data, content } = readFrontmatter(text, fail);
  const problems = frontmatterProblems(data);
  if (problems.length > 0) {
    const first = problems[0];
    throw fail(problems.map((p) => p.message).join("; "), { key: first.key, line: keyLine(text, first.key) });
  }
  const frontmatter = data as unknown as Frontmatter;
  // Outputs are compared by path in the graph and the lock: `generated/./a.py` is `generated/a.py`.
  const outputs = (frontmatter.outputs ?? [frontmatter.output as string]).map((o) => path.posix.normalize(o));
  const repeated = outputs.find((o, i) => outputs.indexOf(o) !== i);
  if (repeated) throw fail(`outputs lists "${repeated}" twice`, { key: "outputs", line: keyLine(text, "outputs") });
  const bodyStart = text.length - content.length;
  const bodyLine = text.slice(0, bodyStart).split("\n").length;
  return { path: file, frontmatter, body: content, bodyLine, outputs };
}

/** The opening --- (YAML or JSON, never JavaScript) and a closing --- line. */
function checkDelimiters(file: string, text: string, fail: Fail): void {
  const opening = /^---([^\n]*)\n/.exec(text);
  if (!opening) {
    throw fail("has no frontmatter: a prompt starts with a --- block pinning model, seed and temperature", {
      line: 1,
      hint: `Found: ${excerpt(text)}\nA valid prompt:\n${EXAMPLE}`,
    });
  }
  const language = opening[1].trim().toLowerCase();
  if (language === "js" || language === "javascript") {
    throw new PcError(
      "PC_FRONTMATTER_JS",
      `asks for JavaScript frontmatter (---${language}), which is never evaluated`,
      {
        file,
        line: 1,
        hint: "Write the frontmatter in YAML: start the file with a plain --- line.",
      },
    );
  }
  if (language !== "" && language !== "yaml" && language !== "json") {
    throw fail(`has frontmatter in an unsupported language "${language}"`, {
      line: 1,
      hint: "Use YAML (---) or JSON (---json).",
    });
  }
  if (!/\n---[ \t]*(\n|$)/.test(text.slice(opening[0].length - 1))) {
    throw fail("has no closing --- line after its frontmatter", { line: 1 });
  }
}

/** The frontmatter's mapping and the body after it. */
function readFrontmatter(text: string, fail: Fail): { data: Record<string, unknown>; content: string } {
  let parsed: matter.GrayMatterFile<string>;
  try {
    // Passing options also disables gray-matter's content cache, which would hold every prompt in memory.
    parsed = parseMatter(text, { engines: { js: refuseCode, javascript: refuseCode } } as unknown as Parameters<
      typeof matter
    >[1]);
  } catch (error) {
    const mark = (error as { mark?: { line?: number } }).mark;
    const reason = ((error as { reason?: string }).reason ?? (error as Error).message).split("\n")[0];
    throw fail(`frontmatter is not valid YAML: ${reason}`, {
      // gray-matter hands js-yaml the text from the end of the opening ---, so YAML line 0 is file line 1.
      line: mark?.line !== undefined ? mark.line + 1 : undefined,
      cause: error,
    });
  }
  const data = parsed.data as Record<string, unknown>;
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw fail("frontmatter must be a mapping of keys to values", { line: 2 });
  }
  return { data, content: parsed.content };
}

/** What is wrong with the frontmatter's keys and values, a typo first. */
function frontmatterProblems(data: Record<string, unknown>): Array<{ key?: string; message: string }> {
  const validate = validator("prompt");
  // The schema's top-level oneOf (output XOR outputs) is explained once below, not as two "missing" keys.
  const schemaErrors = validate(data) ? [] : (validate.errors ?? []).filter((e) => !e.schemaPath.startsWith("#/oneOf"));
  // A typo is reported first, at its own line: `temprature` explains the "missing temperature" after it.
  const problems = describeSchemaErrors(schemaErrors, FRONTMATTER_KEYS).sort(
    (a, b) => Number(!a.message.startsWith("unknown key")) - Number(!b.message.startsWith("unknown key")),
  );
  if ("output" in data && "outputs" in data) {
    problems.push({ key: "outputs", message: 'set either "output" or "outputs", not both' });
  } else if (!("output" in data) && !("outputs" in data)) {
    problems.push({ key: "output", message: 'missing "output" (one file) or "outputs" (a list of files)' });
  }
  if (data.extract === "raw" && Array.isArray(data.outputs) && data.outputs.length > 1) {
    problems.push({
      key: "extract",
      message: '"extract: raw" takes the whole answer as one file, so it needs a single "output"',
    });
  }
  return problems;
}

/** The 1-based line where a frontmatter key is set (line 2, the first key's, when it is not found). */
function keyLine(text: string, key?: string): number {
  if (!key) return 2;
  const index = text.split("\n").findIndex((l) => l.startsWith(`${key}:`) || l.startsWith(`"${key}"`));
  return index >= 0 ? index + 1 : 2;
}
