/**
 * Code fences as CommonMark reads them (https://spec.commonmark.org/0.31.2/#fenced-code-blocks),
 * plus one repair for content that holds fences of its own. Pure.
 *
 * - An opening fence is 3 or more backticks or tildes, indented by at most 3 spaces, then an info
 *   string (its first word is the language). A backtick fence's info string holds no backtick.
 * - The closing fence is the same character, at least as long, indented by at most 3 spaces, with
 *   nothing after it but spaces. An unclosed block runs to the end of the answer.
 * - Content lines lose as many leading spaces (up to) as the opening fence was indented.
 * - Repair (for Markdown content, `nests`): a fence line with an info string inside the block opens
 *   an inner block (of either character), and the next fence that closes the inner block closes it,
 *   not the outer one. A person reads
 *   "```markdown ... ```bash ... ``` ... ```" as one Markdown file; CommonMark cuts it at the inner
 *   closing fence.
 */

export interface Fence {
  char: "`" | "~";
  length: number;
  indent: number;
  /** The info string, trimmed. */
  info: string;
}

/** A run of 3 or more backticks or tildes indented by at most 3 spaces, and what follows it on the line. */
interface FenceRun {
  indent: number;
  char: "`" | "~";
  /** The run as written (```` ``` ````, `~~~~`). */
  run: string;
  rest: string;
}

function fenceRun(line: string): FenceRun | undefined {
  const match = /^( {0,3})(`{3,}|~{3,})(.*)/.exec(line);
  if (!match) return undefined;
  const [, indent, run, rest] = match;
  return { indent: indent.length, char: run.startsWith("`") ? "`" : "~", run, rest };
}

/** The opening fence on a line, if it is one. */
export function openingFence(line: string): Fence | undefined {
  const found = fenceRun(line);
  if (!found || (found.char === "`" && found.rest.includes("`"))) return undefined;
  return { char: found.char, length: found.run.length, indent: found.indent, info: found.rest.trim() };
}

/** Whether a line closes a block opened by `fence`. */
export function closesFence(line: string, fence: Fence): boolean {
  const found = fenceRun(line);
  return !!found && /^[ \t]*$/.test(found.rest) && found.char === fence.char && found.run.length >= fence.length;
}

/** One line of the answer as the reader sees it, with its 1-based line number in the answer as given. */
export interface AnswerLine {
  text: string;
  line: number;
}

export interface CodeBlock {
  /** The fence's info string (language and anything after it). */
  info: string;
  /** The info string's first word, lower case (`python`), or "". */
  language: string;
  /** The nearest non-empty line before the opening fence, trimmed ("" when another block comes first). */
  before: string;
  /** The block's content, each line ending in a newline. */
  code: string;
  /** 1-based line of the opening fence in the answer as given. */
  line: number;
  /** The opening fence as written (```` ``` ````, `~~~~`). */
  fence: string;
  /** 1-based line of the closing fence in the answer as given (closed blocks). */
  endLine?: number;
  /**
   * When the nested-fence repair was asked for and the block might as well go on (a bare fence of
   * the same length follows it: an inner block opened without a language), the line where that
   * longer reading would end.
   */
  couldEndAt?: number;
}

/** Whether to read a block's inner fences as nested blocks, from its language, info string and the line before it. */
export type NestsPredicate = (language: string, info: string, before: string) => boolean;

/** Finds the fenced code blocks among the answer's lines. */
export function findCodeBlocks(lines: AnswerLine[], nests: NestsPredicate = () => false): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  let before = "";
  let next = 0; // the lines of a block are not read again
  for (const [i, line] of lines.entries()) {
    if (i < next) continue;
    const fence = openingFence(line.text);
    if (!fence) {
      if (line.text.trim()) before = line.text.trim();
      continue;
    }
    const language = firstWord(fence.info).toLowerCase();
    const nested = nests(language, fence.info, before);
    const end = (nested ? nestedEnd(lines, i, fence) : undefined) ?? plainEnd(lines, i, fence);
    const body = lines.slice(i + 1, end).map((l) => stripIndent(l.text, fence.indent));
    const closing: AnswerLine | undefined = lines[end]; // none: the block runs to the end of the answer
    blocks.push({
      info: fence.info,
      language,
      before,
      code: body.length ? `${body.join("\n")}\n` : "",
      line: line.line,
      fence: fence.char.repeat(fence.length),
      ...(closing ? { endLine: closing.line } : {}),
      ...(nested && closing ? longerReading(lines, end, fence) : {}),
    });
    before = "";
    next = end + 1;
  }
  return blocks;
}

/** The lines after `start`, each with its index. */
function* linesAfter(lines: AnswerLine[], start: number): Generator<[number, AnswerLine]> {
  for (let j = start + 1; j < lines.length; j++) {
    const line: AnswerLine | undefined = lines[j];
    if (line) yield [j, line];
  }
}

/** Index of the line that closes the block opened at `start` (CommonMark), or lines.length. */
function plainEnd(lines: AnswerLine[], start: number, fence: Fence): number {
  for (const [j, { text }] of linesAfter(lines, start)) if (closesFence(text, fence)) return j;
  return lines.length;
}

/**
 * The closing line under the nested-fence repair, or undefined when the inner fences do not pair up
 * (then the CommonMark reading stands).
 */
function nestedEnd(lines: AnswerLine[], start: number, fence: Fence): number | undefined {
  const inner: Fence[] = [];
  for (const [j, { text }] of linesAfter(lines, start)) {
    const open = inner.at(-1);
    if (open && closesFence(text, open)) inner.pop();
    else if (!open && closesFence(text, fence)) return j;
    else {
      const opening = openingFence(text);
      if (opening && opening.info !== "") inner.push(opening);
    }
  }
  return undefined;
}

/**
 * When the next fence after the block is a bare one of the same kind (the longer reading: the
 * block's closing fence opened an inner block without a language, this one closes it, and a later
 * one closes the block), the line where that longer reading ends.
 */
function longerReading(lines: AnswerLine[], end: number, fence: Fence): { couldEndAt?: number } {
  for (const [j, { text }] of linesAfter(lines, end)) {
    if (!openingFence(text)) continue;
    if (!closesFence(text, fence)) return {};
    const outerEnd: AnswerLine | undefined = lines[plainEnd(lines, j, fence)];
    return outerEnd ? { couldEndAt: outerEnd.line } : {};
  }
  return {};
}

/** The info string's first word ("" when it has none). */
function firstWord(info: string): string {
  const space = info.search(/\s/);
  return space < 0 ? info : info.slice(0, space);
}

function stripIndent(text: string, indent: number): string {
  let n = 0;
  while (n < indent && text[n] === " ") n++;
  return text.slice(n);
}
