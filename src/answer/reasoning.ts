import { closesFence, openingFence, type AnswerLine, type Fence } from "./fences.js";

/**
 * Reasoning sections of an answer, which never reach a file. Reasoning models (Qwen3, QwQ,
 * DeepSeek-R1 and their distills) write their thinking, drafts and all, between tags before the
 * answer; prompted models use `<thinking>` or `<reasoning>`. Read outside code blocks only, so a
 * file that mentions the tags keeps them:
 *
 * - a line that starts with `<think>`, `<thinking>` or `<reasoning>` opens a section that ends
 *   after the matching closing tag; fences inside it (draft code) are part of it. Without a
 *   closing tag (the answer was cut off, or the model never closed it) it runs to the end.
 * - a closing tag with no opening tag before it (DeepSeek-R1's chat template writes the opening
 *   tag into the prompt, so the answer begins inside the section) at the start or end of a line:
 *   everything before it is reasoning.
 *
 * With `extract: raw` no fence protects the file, so reasoning is read only where it comes first:
 * one section that opens the answer, or everything up to the first closing tag when no opening tag
 * comes before it; after that, every line is the file's.
 *
 * Pure.
 */

const TAGS = "think|thinking|reasoning";
const OPENING = new RegExp(`^\\s*<(${TAGS})>`, "i");
const ORPHAN_CLOSING = new RegExp(`^\\s*</(${TAGS})>|</(${TAGS})>\\s*$`, "i");

export interface VisibleAnswer {
  /** The answer's lines without its reasoning, numbered as in the answer as given. */
  lines: AnswerLine[];
  /** Whether any reasoning was found. */
  reasoning: boolean;
  /** Whether a reasoning section was never closed (everything after its opening tag was dropped). */
  unterminated: boolean;
}

/**
 * Splits an answer into lines (CRLF read as LF) and drops its reasoning sections: anywhere outside
 * code blocks (`fenced`), or only where the answer begins with it (`raw`).
 */
export function withoutReasoning(answer: string, mode: "fenced" | "raw" = "fenced"): VisibleAnswer {
  const all = answer.replace(/\r\n?/g, "\n").split("\n");
  // The newline that ends the last line starts no line of its own.
  if (all.at(-1) === "") all.pop();
  let lines: AnswerLine[] = [];
  let reasoning = false;
  /** Whether a non-blank line was kept (raw: an opening tag after one is the file's). */
  let textSeen = false;
  /** raw: an opening tag came after a line of the file, so it and its closing tag are the file's. */
  let tagInFile = false;
  let fence: Fence | undefined;
  let next = 0; // the lines of a reasoning section are not read again
  for (const [i, text] of all.entries()) {
    if (i < next) continue;
    if (fence) {
      if (closesFence(text, fence)) fence = undefined;
      lines.push({ text, line: i + 1 });
      continue;
    }
    // With raw, once reasoning was found (or a line of the file came first) the rest is the file.
    const reading = mode === "fenced" || !reasoning;
    const opening = reading ? OPENING.exec(text) : null;
    const opened = mode === "fenced" || !textSeen ? opening : null;
    // raw: an opening tag the file holds (after its first line) makes its closing tag the file's too.
    if (opening && !opened) tagInFile = true;
    if (opened) {
      reasoning = true;
      const end = closingTag(all, i, opened[1]);
      if (!end) return { lines: trimLeadingBlank(lines), reasoning, unterminated: true };
      const rest = end.text.slice(end.column);
      if (rest.trim()) lines.push({ text: rest, line: end.line + 1 });
      next = end.line + 1;
      continue;
    }
    const orphan = reading && !tagInFile ? ORPHAN_CLOSING.exec(text) : null;
    if (orphan) {
      reasoning = true;
      const rest = text.slice(orphan.index + orphan[0].length);
      lines = rest.trim() ? [{ text: rest, line: i + 1 }] : [];
      continue;
    }
    fence = openingFence(text);
    lines.push({ text, line: i + 1 });
    if (text.trim()) textSeen = true;
  }
  return { lines: reasoning ? trimLeadingBlank(lines) : lines, reasoning, unterminated: false };
}

/**
 * Where the closing tag of a section opened on line `start` ends: its line (index and text) and the
 * column after it. (The opening tag, with only spaces before it, holds no closing tag.)
 */
function closingTag(
  lines: string[],
  start: number,
  tag: string,
): { line: number; text: string; column: number } | undefined {
  const closing = `</${tag.toLowerCase()}>`;
  for (const [k, text] of lines.slice(start).entries()) {
    const at = text.toLowerCase().indexOf(closing);
    if (at >= 0) return { line: start + k, text, column: at + closing.length };
  }
  return undefined;
}

/** Blank lines left at the start once reasoning is gone are not part of the answer. */
function trimLeadingBlank(lines: AnswerLine[]): AnswerLine[] {
  const first = lines.findIndex((l) => l.text.trim() !== "");
  return first < 0 ? [] : lines.slice(first);
}
