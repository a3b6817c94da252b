import type { CodeBlock } from "./fences.js";
import path from "node:path";
import { languageFit, languageOfPath } from "./languages.js";
import { codeWithoutLabelLine, labelNames, labelsOf, type BlockLabels } from "./labels.js";

/**
 * The rule that picks an output's block among an answer's code blocks (docs/answers.md). Pure.
 *
 * 1. Blocks that cannot be the file are set aside: empty ones, those whose language is clearly not
 *    the output's (a `bash` block for a `.py` file, a `diff`, a terminal session), and those named
 *    as another file.
 * 2. Of the rest, the first group that is not empty gives the candidates:
 *    a. blocks named as the output (info string, a line before holding only the path, a first-line comment);
 *    b. with one output: blocks labelled with the output's language; then blocks with no language,
 *       plain text, or a language pc does not know;
 *    c. with several outputs: blocks whose line before mentions the output's path; then the one
 *       block in the output's language, when no other output has that language.
 *    (A mention is no sign for one output: "Run `bin/a.sh` like this:" introduces a usage example as
 *    often as "Here is `bin/a.sh`:" introduces the file.)
 * 3. One candidate is the file. Several are the file only when all of them are parts of the longest
 *    (the same text, or a piece shown before the whole); otherwise the answer is ambiguous.
 */

export interface Candidate {
  block: CodeBlock;
  labels: BlockLabels;
  /** The code as it would be written (a first line holding only the path dropped). */
  code: string;
}

export type Choice =
  | { kind: "one"; candidate: Candidate }
  | { kind: "none"; setAside: Array<{ candidate: Candidate; why: string }> }
  | { kind: "ambiguous"; candidates: Candidate[] };

export function candidatesOf(blocks: CodeBlock[], outputs: readonly string[]): Candidate[] {
  return blocks.map((block) => {
    const labels = labelsOf(block, outputs);
    return { block, labels, code: codeWithoutLabelLine(block, labels) };
  });
}

/** Picks `output`'s block among `all` (the candidates of the whole answer). */
export function chooseBlock(all: Candidate[], output: string, outputs: readonly string[]): Choice {
  const setAside: Array<{ candidate: Candidate; why: string }> = [];
  const usable: Candidate[] = [];
  for (const candidate of all) {
    const why = whyNot(candidate, output, outputs);
    if (why) setAside.push({ candidate, why });
    else usable.push(candidate);
  }
  const named = (c: Candidate) => c.labels.strong.some((l) => labelNames(l, output, outputs));
  const mentioned = (c: Candidate) => c.labels.weak.some((l) => labelNames(l, output, outputs));
  const fit = (c: Candidate) => languageFit(c.block.language, output);
  const groups: Candidate[][] = [usable.filter(named)];
  // Past the first group no usable block has a strong label (one not naming the output is set
  // aside), and none is clearly in another language: each is in the output's language or neutral.
  if (outputs.length === 1) {
    groups.push(
      usable.filter((c) => fit(c) === "same"),
      usable,
    );
  } else {
    groups.push(usable.filter(mentioned));
    if (!outputs.some((o) => o !== output && sameLanguageOutputs(o, output))) {
      const inLanguage = usable.filter(
        (c) => fit(c) === "same" && !c.labels.weak.some((l) => outputs.some((o) => labelNames(l, o, outputs))),
      );
      if (inLanguage.length === 1) groups.push(inLanguage);
    }
  }
  const candidates = groups.find((g) => g.length > 0);
  if (!candidates) return { kind: "none", setAside };
  const longest = candidates.reduce((a, b) => (b.code.length > a.code.length ? b : a));
  if (candidates.every((c) => longest.code.includes(c.code.trimEnd()))) return { kind: "one", candidate: longest };
  return { kind: "ambiguous", candidates };
}

/** Why a block cannot be `output`'s content, or undefined when it can. */
function whyNot(candidate: Candidate, output: string, outputs: readonly string[]): string | undefined {
  const { block, labels } = candidate;
  if (candidate.code.trim() === "") return "it is empty";
  if (languageFit(block.language, output) === "other")
    return `it is \`${block.language}\`, not ${languageOfPath(output) ?? `a ${path.posix.extname(output) || "file like"} ${output}`}`;
  const names = labels.strong.filter((l) => labelNames(l, output, outputs));
  if (labels.strong.length > 0 && names.length === 0) return `it is named ${labels.strong[0]}`;
  return undefined;
}

/** Whether a block in `b`'s language could as well be `a`'s: `a` is in that language, or has `b`'s type pc knows no language of. */
function sameLanguageOutputs(a: string, b: string): boolean {
  return languageFit(languageOfPath(a) ?? path.posix.extname(a).slice(1), b) === "same";
}
