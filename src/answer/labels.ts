import path from "node:path";
import type { CodeBlock } from "./fences.js";

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
  /** Paths the line before mentions among other words. */
  weak: string[];
  /** The path named by a first line that holds nothing else (that line is not part of the file). */
  firstLinePath?: string;
}

// A path: no spaces, ends in a name with an extension or is a known extensionless file name.
const PATH = String.raw`(?:\.{0,2}/)?(?:[\w@+.-]+/)*(?:[\w@+-][\w@+.-]*\.[A-Za-z0-9]+|Dockerfile|Makefile|Containerfile|[\w@+.-]+/[\w@+-]+)`;
const IS_PATH = new RegExp(`^${PATH}$`);
const KEYED = /\b(?:title|file|filename|name|path)\s*=\s*["']?([^"'\s]+)["']?/i;
const COMMENT_LABEL = new RegExp(String.raw`^\s*(?:#|//|--|;|%|<!--|/\*|\{\{!--|\(\*)\s*(${PATH})\s*(?:-->|\*/|--\}\}|\*\))?\s*$`);
const COMMENT_MENTION = new RegExp(String.raw`^\s*(?:#|//|--|<!--|/\*)\s*(?:file(?:name)?|path)\s*:\s*(${PATH})\b`, "i");

/** The labels of a block. */
export function labelsOf(block: CodeBlock): BlockLabels {
  const strong: string[] = [];
  const fromInfo = infoPath(block.info);
  if (fromInfo) strong.push(fromInfo);
  const alone = alonePath(block.before);
  if (alone) strong.push(alone);
  const first = block.code.slice(0, block.code.indexOf("\n") + 1 || undefined).replace(/\n$/, "");
  const comment = COMMENT_LABEL.exec(first);
  const firstLinePath = comment && isPath(comment[1]!) ? normalize(comment[1]!) : undefined;
  if (firstLinePath) strong.push(firstLinePath);
  const mention = COMMENT_MENTION.exec(first);
  if (mention) strong.push(normalize(mention[1]!));
  const weak = alone ? [] : mentionedPaths(block.before);
  return { strong, weak, ...(firstLinePath ? { firstLinePath } : {}) };
}

/** The block's code without a first line that holds nothing but its path. */
export function codeWithoutLabelLine(block: CodeBlock, labels: BlockLabels): string {
  return labels.firstLinePath ? block.code.slice(block.code.indexOf("\n") + 1) : block.code;
}

/** Whether a label names `output` (exactly, as `./output`, as a longer path ending in it, or by its file name when that is unique among `outputs`). */
export function labelNames(label: string, output: string, outputs: readonly string[]): boolean {
  if (label === output || label.endsWith(`/${output}`)) return true;
  if (label.includes("/")) return false;
  const base = path.posix.basename(output);
  return label === base && outputs.filter((o) => path.posix.basename(o) === base).length === 1;
}

/** The path an info string names, if any. */
export function infoPath(info: string): string | undefined {
  const keyed = KEYED.exec(info);
  if (keyed && isPath(keyed[1]!)) return normalize(keyed[1]!);
  const words = info.split(/\s+/).filter(Boolean);
  const colon = /^[\w+#-]+:(.+)$/.exec(words[0] ?? "");
  if (colon && isPath(colon[1]!)) return normalize(colon[1]!);
  const word = words.find(isPathWithDot);
  return word ? normalize(word) : undefined;
}

/** The path on a line that holds nothing else but Markdown decoration and a "File:" prefix. */
export function alonePath(line: string): string | undefined {
  const bare = line
    .replace(/^(?:#{1,6}\s+|>\s*|[-*+]\s+|\d+[.)]\s+)*/, "")
    .replace(/[*_`"'[\]()]/g, "")
    .replace(/^(?:file(?:name)?|path|in|create|update)\s*:?\s+/i, "")
    .replace(/\s*:$/, "")
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
  return IS_PATH.test(text) && !/^\d+(\.\d+)+$/.test(text) && !/^https?:/.test(text);
}

/** A path with an extension or a folder: `a.py`, `src/b.ts` (not a bare word like `python`). */
function isPathWithDot(word: string): boolean {
  return isPath(word) && (/\.[A-Za-z0-9]+$/.test(word) || word.includes("/"));
}

function normalize(label: string): string {
  return label.replace(/^\.\//, "");
}
