import path from "node:path";
import type { CodeBlock } from "./fences.js";
import { commentOpeners, languageOfPath } from "./languages.js";

/**
 * Which file a code block says it is, the ways models name it:
 * - in the info string: ```` ```python generated/a.py ````, ```` ```python title="generated/a.py" ````,
 *   ```` ```python:generated/a.py ````, ```` ```generated/a.py ````;
 * - on the line before the fence, alone: `generated/a.py`, `**generated/a.py**`, `### \`generated/a.py\``,
 *   `File: generated/a.py`, `1. \`generated/a.py\`:`;
 * - in a comment that is the block's first line: `# generated/a.py`, `// src/b.ts`, `<!-- docs/x.md -->`,
 *   `/* a.css *\/`, `-- q.sql`.
 * These are strong labels. A line before the fence that merely mentions a path among other words
 * ("Here is `generated/a.py`:") is a weak one. Pure.
 */

export interface BlockLabels {
  /** Paths the block is named as: info string, a line before holding only the path, a first-line comment. */
  strong: string[];
  /** Paths the line before mentions among other words (read only for a block with no strong label). */
  weak: string[];
  /** The path named by a first line that holds nothing else (that line is not part of the file). */
  firstLinePath?: string;
}

// A path: no spaces; folders and a file name that start with a letter, digit, "_", "." or "@"; the
// file name has an extension or a folder before it, and a letter.
const SEGMENT = String.raw`[\w.@][\w@+.-]*`;
const PATH = String.raw`(?:\.{0,2}/)?(?:${SEGMENT}/)*(?:[\w@][\w@+.-]*\.[A-Za-z0-9]+|Dockerfile|Makefile|Containerfile|${SEGMENT}/[\w@][\w@+-]*)`;
const IS_PATH = new RegExp(`^${PATH}$`);
const KEYED = /\b(?:title|file|filename|name|path)\s*=\s*["']?([^"'\s]+)/i;
const CLOSERS: Partial<Record<string, string>> = { "<!--": "-->", "/*": "*/", "(*": "*)" };
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const COMMENT_MENTION = new RegExp(
  String.raw`^\s*(?:#|//|--|<!--|/\*)\s*(?:file(?:name)?|path)\s*:\s*(${PATH})\b`,
  "i",
);

/**
 * The labels of a block. A path counts when it names one of `outputs` or looks like a file: it has
 * a folder or a type pc knows (so "v1.2" or "e.g." on a line of their own are no labels).
 */
export function labelsOf(block: CodeBlock, outputs: readonly string[]): BlockLabels {
  const counts = (label: string | undefined): label is string =>
    label !== undefined &&
    (label.includes("/") || languageOfPath(label) !== undefined || outputs.some((o) => labelNames(label, o, outputs)));
  const strong: string[] = [];
  const fromInfo = infoPath(block.info);
  if (fromInfo) strong.push(fromInfo);
  const alone = alonePath(block.before);
  if (counts(alone)) strong.push(alone);
  const first = block.code.slice(0, block.code.indexOf("\n")); // each line ends in a newline
  const firstLinePath = commentPath(first, block.language);
  if (counts(firstLinePath)) strong.push(firstLinePath);
  const mention = COMMENT_MENTION.exec(first);
  if (mention) strong.push(normalize(mention[1]));
  return { strong, weak: mentionedPaths(block.before), ...(counts(firstLinePath) ? { firstLinePath } : {}) };
}

/** The path a first line names when it is a comment, in the block's language, holding nothing but the path. */
function commentPath(line: string, language: string): string | undefined {
  for (const opener of commentOpeners(language)) {
    const closing = CLOSERS[opener];
    const closer = closing ? `(?:${escape(closing)})?` : "";
    const match = new RegExp(String.raw`^\s*${escape(opener)}\s*(${PATH})\s*${closer}\s*$`).exec(line);
    if (match && isPath(match[1])) return normalize(match[1]);
  }
  return undefined;
}

/** The block's code without a first line that holds nothing but its path. */
export function codeWithoutLabelLine(block: CodeBlock, labels: BlockLabels): string {
  return labels.firstLinePath ? block.code.slice(block.code.indexOf("\n") + 1) : block.code;
}

/** Whether a label names `output` (exactly, as `./output`, as a longer path ending in it, or by its file name when that is unique among `outputs`). */
export function labelNames(label: string, output: string, outputs: readonly string[]): boolean {
  if (label === output || label.endsWith(`/${output}`)) return true;
  const base = path.posix.basename(output);
  return label === base && outputs.filter((o) => path.posix.basename(o) === base).length === 1;
}

/** The path an info string names, if any. */
export function infoPath(info: string): string | undefined {
  const keyed = KEYED.exec(info);
  if (keyed && isPath(keyed[1])) return normalize(keyed[1]);
  const colon = /^[\w+#-]+:(\S+)/.exec(info);
  if (colon && isPath(colon[1])) return normalize(colon[1]);
  const word = info.split(/\s+/).find(isPathWithDot);
  return word ? normalize(word) : undefined;
}

/** The path on a line that holds nothing else but Markdown decoration and a "File:" prefix. */
export function alonePath(line: string): string | undefined {
  // Markdown decoration first (the `*` matches at the line's start, if only an empty run).
  const bare = line
    .replace(/(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)*/, "")
    .replace(/[*_`"'[\]()]/g, "")
    .replace(/^(?:file(?:name)?|path|in|create|update)\s*:?\s/i, "")
    .replace(/:$/, "")
    .trim();
  return isPath(bare) ? normalize(bare) : undefined;
}

function mentionedPaths(line: string): string[] {
  return line
    .replace(/[*`"'()[\]]/g, " ")
    .split(/\s+/)
    .map((w) => w.replace(/[:,;!?]+$/, "").replace(/\.$/, ""))
    .filter(isPathWithDot)
    .map(normalize);
}

function isPath(text: string): boolean {
  return IS_PATH.test(text) && /[A-Za-z][^/]*$/.test(text);
}

/** A path with an extension or a folder: `a.py`, `src/b.ts` (not a bare word like `Makefile`). */
function isPathWithDot(word: string): boolean {
  return isPath(word) && /[./]/.test(word);
}

function normalize(label: string): string {
  return label.replace(/^\.\//, "");
}
