import path from "node:path";
import { PcError, excerpt } from "../util/errors.js";
import { languageOf } from "../prompt/protocol.js";

export interface CodeBlock {
  /** The fence's info string (language and anything after it). */
  info: string;
  /** The nearest non-empty line before the opening fence. */
  before: string;
  code: string;
}

/** Finds the fenced code blocks (``` or ~~~) of a Markdown answer. An unclosed last fence runs to the end. Pure. */
export function findCodeBlocks(answer: string): CodeBlock[] {
  const lines = answer.replace(/\r\n?/g, "\n").split("\n");
  const blocks: CodeBlock[] = [];
  let before = "";
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open || (open[1][0] === "`" && open[2].includes("`"))) {
      if (lines[i].trim()) before = lines[i].trim();
      continue;
    }
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push(lines[j]);
    }
    blocks.push({ info: open[2].trim(), before, code: body.length ? `${body.join("\n")}\n` : "" });
    before = "";
    i = j;
  }
  return blocks;
}

/** Whether a block is labelled with `file` (in its info string or on the line before it). */
function labelledWith(block: CodeBlock, file: string): boolean {
  const clean = (s: string) => s.replace(/[*`#:"']/g, " ");
  const mentions = (s: string) => clean(s).split(/\s+/).some((w) => w === file || w === `./${file}` || w.endsWith(`/${file}`));
  return mentions(block.info) || mentions(block.before);
}

export type ExtractMode = "fenced" | "raw";

/**
 * Takes the file contents out of a model's answer, one string per output path. Throws PcError
 * (PC_ANSWER_EMPTY or PC_ANSWER_NO_CODE) when the answer has nothing usable. Pure.
 */
export function extractOutputs(answer: string, outputs: string[], mode: ExtractMode): Record<string, string> {
  if (answer.trim() === "") {
    throw new PcError("PC_ANSWER_EMPTY", "the model's answer is empty", {
      hint: "Check that the model is a chat/instruct model, or raise max_tokens.",
    });
  }
  if (mode === "raw") return { [outputs[0]]: answer.endsWith("\n") ? answer : `${answer}\n` };
  const blocks = findCodeBlocks(answer);
  const noCode = (which: string) =>
    new PcError("PC_ANSWER_NO_CODE", `the answer has no usable code block for ${which}`, {
      hint: `The answer began: ${excerpt(answer, 120)}\nAsk for the file in a fenced code block, or set "extract: raw" to take the whole answer as the file.`,
    });
  if (blocks.length === 0) throw noCode(outputs.join(", "));
  if (outputs.length === 1) {
    const [file] = outputs;
    const labelled = blocks.filter((b) => labelledWith(b, file));
    const lang = languageOf(file);
    const sameLanguage = blocks.filter((b) => lang && b.info.split(/\s+/)[0].toLowerCase() === lang);
    const candidates = labelled.length ? labelled : sameLanguage.length ? sameLanguage : blocks;
    const best = candidates.reduce((a, b) => (b.code.length > a.code.length ? b : a));
    if (best.code.trim() === "") throw noCode(file);
    return { [file]: best.code };
  }
  const result: Record<string, string> = {};
  const missing: string[] = [];
  for (const file of outputs) {
    const block = blocks.find((b) => labelledWith(b, file)) ?? blocks.find((b) => labelledWith(b, path.posix.basename(file)));
    if (block && block.code.trim() !== "") result[file] = block.code;
    else missing.push(file);
  }
  if (missing.length > 0) throw noCode(missing.join(", "));
  return result;
}
