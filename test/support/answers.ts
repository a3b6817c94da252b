// Answers the test server gives: a deterministic default that depends on the request, and helpers
// to write answers the way a model formats them (fenced code, one fence per file).
import { createHash } from "node:crypto";
import type { ChatCompletionBody } from "./sse.js";
import { messageText } from "./sse.js";

const LANGUAGES: Record<string, string> = {
  py: "python",
  ts: "typescript",
  tsx: "tsx",
  js: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  jsx: "jsx",
  json: "json",
  sh: "bash",
  bash: "bash",
  rb: "ruby",
  go: "go",
  rs: "rust",
  c: "c",
  h: "c",
  cpp: "cpp",
  java: "java",
  kt: "kotlin",
  swift: "swift",
  cs: "csharp",
  php: "php",
  sql: "sql",
  lua: "lua",
  yaml: "yaml",
  yml: "yaml",
  toml: "toml",
  md: "markdown",
  html: "html",
  css: "css",
  scss: "scss",
  xml: "xml",
  svg: "xml",
  r: "r",
  pl: "perl",
  hs: "haskell",
};

/** The fence language a model would use for a file path (`generated/a.py` -> `python`). */
export function languageFor(path: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(path)?.[1]?.toLowerCase() ?? "";
  return Object.hasOwn(LANGUAGES, ext) ? LANGUAGES[ext]! : ext;
}

/** A fenced code block; the code gets a trailing newline before the closing fence. */
export function fencedAnswer(code: string, lang = ""): string {
  const body = code.endsWith("\n") ? code : `${code}\n`;
  return `\`\`\`${lang}\n${body}\`\`\``;
}

/** Several files, each as its path on the line before its fence: `generated/a.py\n```python\n...\n```. */
export function multiFileAnswer(files: Record<string, string>): string {
  return Object.entries(files)
    .map(([path, code]) => `${path}\n${fencedAnswer(code, languageFor(path))}`)
    .join("\n\n");
}

/** sha256 over the request's messages, model and sampling pins: equal requests, equal hash. */
export function requestHash(body: ChatCompletionBody): string {
  const pins = {
    model: body.model,
    messages: body.messages.map((message) => [message.role, messageText(message)]),
    seed: body.seed ?? null,
    temperature: body.temperature ?? null,
    top_p: body.top_p ?? null,
    top_k: body.top_k ?? null,
  };
  return createHash("sha256").update(JSON.stringify(pins)).digest("hex");
}

/**
 * The default answer: one line of prose, then a fenced block in the language of the output the last
 * message asks for, whose content names the request hash, model, seed and temperature.
 * The block holds only comments, so it is valid source in that language (and a JSON object for .json).
 */
export function defaultAnswer(body: ChatCompletionBody): string {
  const hash = requestHash(body);
  const last = body.messages.at(-1);
  const lang = last ? languageFor(mentionedPath(messageText(last)) ?? "") : "";
  const facts = {
    answer: hash.slice(0, 16),
    model: body.model,
    seed: body.seed ?? null,
    temperature: body.temperature ?? null,
  };
  if (lang === "json") return `Here is the file.\n\n${fencedAnswer(JSON.stringify(facts, null, 2), lang)}\n`;
  const lines = [`answer ${facts.answer}`, `model ${facts.model} seed ${facts.seed} temperature ${facts.temperature}`];
  return `Here is the file.\n\n${fencedAnswer(lines.map(commentFor(lang)).join("\n"), lang)}\n`;
}

/**
 * The output path a prompt most likely asks for: a known file type, preferring one inside a folder,
 * first in pc's output contract (after the last "## Output"), then anywhere.
 */
function mentionedPath(text: string): string | undefined {
  const contract = text.lastIndexOf("## Output");
  return (contract >= 0 ? pathIn(text.slice(contract)) : undefined) ?? pathIn(text);
}

function pathIn(text: string): string | undefined {
  const paths = [...text.matchAll(/(?:[\w.-]+\/)*[\w-]+\.([a-z0-9]+)\b/gi)]
    .filter((match) => Object.hasOwn(LANGUAGES, match[1]!.toLowerCase()))
    .map((match) => match[0]);
  return paths.find((path) => path.includes("/")) ?? paths[0];
}

function commentFor(lang: string): (line: string) => string {
  if (["html", "xml", "markdown"].includes(lang)) return (line) => `<!-- ${line} -->`;
  if (["css", "scss"].includes(lang)) return (line) => `/* ${line} */`;
  if (["sql", "lua", "haskell"].includes(lang)) return (line) => `-- ${line}`;
  const slashes = [
    "typescript",
    "tsx",
    "javascript",
    "jsx",
    "go",
    "rust",
    "c",
    "cpp",
    "java",
    "kotlin",
    "swift",
    "csharp",
    "php",
  ];
  if (slashes.includes(lang)) return (line) => `// ${line}`;
  return (line) => `# ${line}`;
}
