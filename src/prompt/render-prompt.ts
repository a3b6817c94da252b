import { existsSync } from "node:fs";
import path from "node:path";
import { Eta } from "eta/core";
import { CONTEXT_IGNORE, GLOB_CHARS } from "./discover.js";
import { PcError } from "../util/errors.js";
import type { ChatMessage } from "../engine/types.js";
import { resolveInside, toPosix } from "../util/fs.js";
import { requireCjs } from "../util/require-cjs.js";
import type { ParsedPrompt } from "./frontmatter.js";
import { InputRecorder, type FileText } from "./inputs.js";
import { buildMessages, type ContextFile } from "./protocol.js";

export interface RenderedPrompt {
  prompt: ParsedPrompt;
  messages: ChatMessage[];
  /** Every project file the prompt read (itself, partials, context, file()), path -> sha256. */
  inputs: Record<string, string>;
  /** The context files, in the order the model sees them. */
  context: string[];
  /** The files the prompt's checks read (`check_inputs`), path -> sha256: inputs the model does not see. */
  checkInputs: Record<string, string>;
}

/**
 * Renders a prompt: runs its Eta template (partials and file() reads recorded as inputs), inlines
 * its context files and wraps it in the answer protocol. Reads project files synchronously.
 * `promptHash` is the sha256 of the prompt file's bytes. `texts` shares the files read between the
 * prompts of one run (each file is read, checked and hashed once).
 */
export function renderPrompt(
  root: string,
  prompt: ParsedPrompt,
  promptHash: string,
  texts?: Map<string, FileText>,
): RenderedPrompt {
  const recorder = new InputRecorder(root, prompt.path, texts);
  recorder.inputs.set(prompt.path, promptHash);
  const context = expandFiles(root, prompt, "context", recorder);
  const checkInputs = Object.fromEntries(
    expandFiles(root, prompt, "check_inputs", recorder).map((p) => [
      p,
      recorder.hashFile(p, "check input", "check_inputs"),
    ]),
  );
  const body = renderTemplate(root, prompt, recorder);
  const contextFiles: ContextFile[] = context.map((p) => ({
    path: p,
    text: recorder.readText(p, "context file", "context"),
  }));
  const messages = buildMessages({
    body,
    system: prompt.frontmatter.system,
    context: contextFiles,
    outputs: prompt.outputs,
    extract: prompt.frontmatter.extract ?? "fenced",
  });
  return { prompt, messages, inputs: recorder.sortedInputs(), context, checkInputs };
}

/**
 * Context (or check input) entries in the order written; a glob expands to its matches sorted. The
 * order of the files shown to the model follows the sorted list of all paths, so reordering entries
 * changes nothing.
 */
function expandFiles(
  root: string,
  prompt: ParsedPrompt,
  key: "context" | "check_inputs",
  recorder: InputRecorder,
): string[] {
  const files = new Set<string>();
  const what = key === "context" ? "context" : "check input";
  for (const entry of prompt.frontmatter[key] ?? []) {
    if (GLOB_CHARS.test(entry)) {
      if (path.isAbsolute(entry) || entry.split("/").includes("..")) {
        resolveInside(root, entry, { file: prompt.path, key, what: `${what} glob` });
      }
      // Loaded here: most prompts name their context files, and tinyglobby takes a measurable time to load.
      const { globSync } = requireCjs("tinyglobby") as typeof import("tinyglobby");
      const matches = globSync(entry, { cwd: root, onlyFiles: true, ignore: CONTEXT_IGNORE, expandDirectories: false });
      if (matches.length === 0) {
        throw new PcError("PC_CONTEXT_EMPTY", `${what} glob "${entry}" matches no file`, {
          file: prompt.path,
          key,
          hint: "Fix the pattern or remove it; globs are relative to the project root, e.g. src/**/*.ts",
        });
      }
      for (const match of matches) {
        resolveInside(root, match, { file: prompt.path, key, what: `${what} file` });
        files.add(match);
      }
    } else {
      resolveInside(root, entry, { file: prompt.path, key, what: `${what} file` });
      files.add(toPosix(path.normalize(entry)));
    }
  }
  return [...files].sort();
}

function renderTemplate(root: string, prompt: ParsedPrompt, recorder: InputRecorder): string {
  const eta = new Eta({
    autoEscape: false,
    autoTrim: false,
    cache: false,
    debug: true,
    functionHeader: "const file = it.file, vars = it.vars;",
  });
  eta.resolvePath = (name: string, options?: { filepath?: string }) =>
    resolvePartial(root, name, options?.filepath ?? path.join(root, prompt.path), prompt.path);
  eta.readFile = (absolute: string) => recorder.readText(toPosix(path.relative(root, absolute)), "partial");
  const compile = eta.compile.bind(eta);
  eta.compile = (source, options) =>
    options?.async ? compile(source, options) : compiledOnce(source, () => compile(source, options));
  const vars = prompt.frontmatter.vars ?? {};
  const data = {
    ...vars,
    vars,
    prompt: { path: prompt.path, outputs: prompt.outputs },
    file: (p: string) => recorder.readText(toPosix(path.normalize(String(p))), "file()"),
  };
  let rendered: string;
  try {
    const template = eta.compile(prompt.body);
    rendered = template.call(eta, data, { filepath: path.join(root, prompt.path) });
  } catch (error) {
    throw templateError(root, prompt, error);
  }
  if (rendered.trim() === "") {
    const what = prompt.body.trim() === "" ? "has an empty body" : "renders to nothing";
    throw new PcError("PC_TEMPLATE_ERROR", `${what}: there is nothing to ask the model`, {
      file: prompt.path,
      line: prompt.bodyLine,
      hint: "Write below the closing --- what the file should do, e.g. Write a Python script that prints hello.",
    });
  }
  return rendered;
}

/**
 * Compiled templates by source text. A compiled template depends only on its text and the options,
 * which are the same for every prompt (the file path and `this` come with each call), so a partial
 * included by every prompt is compiled once per process, not once per prompt. A pure memo: what it
 * holds is fixed by its key, so every run of the process may share it.
 */
const compiled = new Map<string, TemplateFunction>();
type TemplateFunction = ReturnType<Eta["compile"]>;

function compiledOnce(source: string, compile: () => TemplateFunction): TemplateFunction {
  let template = compiled.get(source);
  if (!template) {
    if (compiled.size >= 1000) compiled.clear(); // pc watch edits templates for hours
    compiled.set(source, (template = compile()));
  }
  return template;
}

const TEMPLATE_HELP =
  'Templates are Eta: <%= it.name %> prints a value, <%~ include("_partial") %> includes prompts/_partial.md, <%~ file("src/a.ts") %> inlines a file.';

/**
 * Eta's debug mode wraps an error thrown while a template runs once per template level (the prompt,
 * then each partial), each wrapper headed "<absolute file>:<line>" with the original as `cause`.
 * Unwraps to the original, so a PcError of include() or file() keeps its code and message, and
 * takes the line from the outermost wrapper, which is the line of the prompt itself.
 */
function templateError(root: string, prompt: ParsedPrompt, error: unknown): PcError {
  const wrappers: Array<{ file: string; line: number; failing?: string }> = [];
  let original = error;
  for (;;) {
    const wrap =
      original instanceof Error && original.cause !== undefined
        ? /^(.*):(\d+)\n([\s\S]*)$/.exec(original.message)
        : null;
    if (!wrap) break;
    const failing = /^ >> \d+\| (.*)$/m.exec(wrap[3])?.[1];
    wrappers.push({ file: wrap[1], line: Number(wrap[2]), failing });
    original = (original as Error).cause;
  }
  const bodyLine = (n: number) => prompt.bodyLine + n - 1;
  const line = wrappers[0] ? bodyLine(wrappers[0].line) : undefined;
  if (original instanceof PcError) {
    return new PcError(original.code, original.message, {
      file: original.file ?? prompt.path,
      line: original.line ?? line,
      key: original.key,
      hint: original.hint,
      cause: original.cause,
    });
  }
  const message = original instanceof Error ? original.message : String(original);
  const parseLine = wrappers.length === 0 ? /at line (\d+)/.exec(message)?.[1] : undefined;
  const innermost = wrappers.at(-1);
  const inPartial =
    innermost && path.resolve(innermost.file) !== path.join(root, prompt.path)
      ? toPosix(path.relative(root, innermost.file))
      : undefined;
  const details = [
    innermost?.failing
      ? `The failing line${inPartial ? ` (in ${inPartial}, line ${innermost.line})` : ""}: ${innermost.failing.trim()}`
      : "",
    wrappers.length === 0 ? parseDetails(message) : "",
  ].filter(Boolean);
  return new PcError("PC_TEMPLATE_ERROR", `template failed: ${message.split("\n")[0]}`, {
    file: prompt.path,
    line: line ?? (parseLine ? bodyLine(Number(parseLine)) : undefined),
    hint: [TEMPLATE_HELP, ...details].join("\n"),
    cause: error,
  });
}

/** The lines after the first of an Eta parse error, without the compiled function it appends. */
function parseDetails(message: string): string {
  const rest = message.split("\n").slice(1);
  const end = rest.findIndex((l) => /^=+$/.test(l));
  return (end >= 0 ? rest.slice(0, end) : rest.slice(0, 4)).join("\n").trim();
}

/**
 * A partial name resolves like a node module: from the including file's folder up to the project
 * root, the first `<dir>/<name>` (with `.md` added when it has no extension) that exists.
 */
function resolvePartial(root: string, name: string, fromFile: string, prompt: string): string {
  const file = path.extname(name) ? name : `${name}.md`;
  const tried: string[] = [];
  for (let dir = path.dirname(fromFile); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, file);
    const relative = toPosix(path.relative(root, candidate));
    tried.push(relative);
    resolveInside(root, relative, { file: prompt, what: "partial" });
    if (existsSync(candidate)) return candidate;
    if (path.relative(root, dir) === "" || dir === path.dirname(dir)) break;
  }
  throw new PcError("PC_TEMPLATE_ERROR", `partial "${name}" not found`, {
    file: prompt,
    hint: `Looked for ${tried.join(", ")}. Partials are files whose name starts with _, e.g. prompts/_style.md`,
  });
}
