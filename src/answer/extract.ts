import { PcError, excerpt } from "../util/errors.js";
import { candidatesOf, chooseBlock, type Candidate } from "./choose.js";
import { findCodeBlocks, type AnswerLine, type CodeBlock } from "./fences.js";
import { alonePath, infoPath } from "./labels.js";
import { holdsFences, labelHoldsFences } from "./languages.js";
import { withoutReasoning, type VisibleAnswer } from "./reasoning.js";

export type { CodeBlock } from "./fences.js";

export type ExtractMode = "fenced" | "raw";

/**
 * Takes the file contents out of a model's answer, one string per output path (docs/answers.md):
 * reasoning sections are dropped in every mode; `raw` takes the rest as the one file; `fenced`
 * reads the code blocks as CommonMark does (with the nested-fence repair for Markdown outputs) and
 * picks each output's block by the rule in choose.ts. Throws PcError: PC_ANSWER_EMPTY,
 * PC_ANSWER_NO_CODE, or PC_ANSWER_AMBIGUOUS listing the candidates. Pure.
 */
export function extractOutputs(answer: string, outputs: string[], mode: ExtractMode): Record<string, string> {
  const visible = withoutReasoning(answer, mode);
  if (visible.lines.every((l) => l.text.trim() === "")) throw emptyAnswer(answer, visible);
  if (mode === "raw") {
    const text = visible.reasoning ? visible.lines.map((l) => `${l.text}\n`).join("") : answer;
    return { [outputs[0]]: text.endsWith("\n") ? text : `${text}\n` };
  }
  const blocks = readBlocks(visible.lines, outputs);
  const candidates = candidatesOf(blocks, outputs);
  const result: Record<string, string> = {};
  const missing: string[] = [];
  const notes: string[] = [];
  for (const output of outputs) {
    const choice = chooseBlock(candidates, output, outputs);
    if (choice.kind === "ambiguous") throw ambiguous(output, outputs, choice.candidates);
    if (choice.kind === "one") {
      if (choice.candidate.block.couldEndAt !== undefined) throw nestedAmbiguity(output, choice.candidate);
      result[output] = choice.candidate.code;
      continue;
    }
    missing.push(output);
    for (const { candidate, why } of choice.setAside) notes.push(`${describe(candidate)}: set aside, ${why}`);
  }
  if (missing.length > 0) throw noCode(answer, missing, blocks.length, [...new Set(notes)], outputs.length > 1);
  return result;
}

/** The answer's code blocks, with the nested-fence repair for blocks that hold Markdown. */
export function readBlocks(lines: AnswerLine[], outputs: readonly string[]): CodeBlock[] {
  const markdownOnly = outputs.length === 1 && holdsFences(outputs[0]);
  return findCodeBlocks(lines, (language, info, before) => {
    const named = infoPath(info) ?? alonePath(before);
    if (labelHoldsFences(language) || (named !== undefined && holdsFences(named))) return true;
    return markdownOnly && (language === "" || language === "text");
  });
}

/** A block as the messages name it: `block at line 12 (```python, 30 lines): def fib(n):`. */
function describe(candidate: Candidate): string {
  const { block } = candidate;
  const lines = candidate.code.split("\n").length - 1;
  const first = candidate.code.split("\n").find((l) => l.trim() !== "") ?? "";
  return `block at line ${block.line} (${block.fence}${block.info}, ${lines} line${lines === 1 ? "" : "s"}): ${excerpt(first, 60)}`;
}

function emptyAnswer(answer: string, visible: VisibleAnswer): PcError {
  if (!visible.reasoning) {
    return new PcError("PC_ANSWER_EMPTY", "the model's answer is empty", {
      hint: "Check that the model is a chat/instruct model, or raise max_tokens.",
    });
  }
  return new PcError(
    "PC_ANSWER_EMPTY",
    `the model's answer holds only reasoning${visible.unterminated ? " (its <think> section never closed)" : ""}, no file`,
    {
      hint: `The answer began: ${excerpt(answer, 120)}\nRaise max_tokens so the model gets past its reasoning, or turn thinking off for this model.`,
    },
  );
}

function noCode(answer: string, missing: string[], blockCount: number, notes: string[], several: boolean): PcError {
  const why = notes.length ? `\n${notes.map((n) => `  ${n}`).join("\n")}` : "";
  const fix = several
    ? `Name each file on the line before its block (${missing[0]}) or in the block's first line (# ${missing[0]}).`
    : blockCount > 0
      ? `Ask for the complete file ${missing[0]} itself in a code block (not a patch, a command or a session).`
      : `Ask for the file in a fenced code block, or set "extract: raw" to take the whole answer as the file.`;
  return new PcError("PC_ANSWER_NO_CODE", `the answer has no usable code block for ${missing.join(", ")}`, {
    hint: `${blockCount ? `Its ${blockCount} code block${blockCount === 1 ? "" : "s"}:${why || " none fits"}` : `The answer began: ${excerpt(answer, 120)}`}\n${fix}`,
  });
}

function ambiguous(output: string, outputs: readonly string[], candidates: Candidate[]): PcError {
  const list = candidates.map((c) => `  ${describe(c)}`).join("\n");
  const only =
    outputs.length === 1
      ? `Ask for ${output} alone, e.g. add "Reply with ${output} only; put usage examples and tests in no code block."`
      : `Ask for each file under its path`;
  return new PcError("PC_ANSWER_AMBIGUOUS", `the answer has ${candidates.length} code blocks that could be ${output}`, {
    hint: `Candidates:\n${list}\n${only}, or name the file on the line before its block (${output}) or in its first line (# ${output}).`,
  });
}

function nestedAmbiguity(output: string, candidate: Candidate): PcError {
  const { block } = candidate;
  return new PcError(
    "PC_ANSWER_AMBIGUOUS",
    `the answer's block for ${output} (line ${block.line}) could end at two places: an inner fence with no language makes it unclear`,
    {
      hint: `Read one way it ends at line ${block.endLine}, the other way at line ${block.couldEndAt}.\nAsk for the file in a longer fence (\`\`\`\`markdown ... \`\`\`\`) or ask for a language on every inner fence.`,
    },
  );
}
