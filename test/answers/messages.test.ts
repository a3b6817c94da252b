// What the extractor says when an answer gives no file, or more than one could be it: the error a
// user reads, word for word, with what to change in the prompt.
import { describe, expect, it } from "vitest";
import { extractOutputs } from "../../src/answer/extract.js";
import { PcError } from "../../src/util/errors.js";

const F = "```";
const errorOf = (answer: string, outputs = ["generated/a.py"], mode: "fenced" | "raw" = "fenced"): PcError => {
  try {
    extractOutputs(answer, outputs, mode);
  } catch (error) {
    if (error instanceof PcError) return error;
    throw error;
  }
  throw new Error("expected a PcError");
};

describe("an answer with no file", () => {
  it("empty, or only blank lines: says so and what to check", () => {
    for (const answer of ["", "\n", "   \n\t\n"]) {
      const error = errorOf(answer);
      expect(error.code).toBe("PC_ANSWER_EMPTY");
      expect(error.message).toBe("the model's answer is empty");
      expect(error.hint).toBe("Check that the model is a chat/instruct model, or raise max_tokens.");
    }
  });

  it("only reasoning: says so, shows how it began, and whether the section never closed", () => {
    const closed = errorOf("<think>\nThe user wants a file.\n</think>\n");
    expect(closed.code).toBe("PC_ANSWER_EMPTY");
    expect(closed.message).toBe("the model's answer holds only reasoning, no file");
    expect(closed.hint).toBe(
      "The answer began: <think> The user wants a file. </think>\nRaise max_tokens so the model gets past its reasoning, or turn thinking off for this model.",
    );
    expect(errorOf("<think>\nThe user wants", ["generated/a.py"], "raw").message).toBe(
      "the model's answer holds only reasoning (its <think> section never closed), no file",
    );
  });

  it("no code block at all: shows how the answer began and offers extract: raw", () => {
    const error = errorOf("Sorry, I cannot write that file.\n");
    expect(error.code).toBe("PC_ANSWER_NO_CODE");
    expect(error.message).toBe("the answer has no usable code block for generated/a.py");
    expect(error.hint).toBe(
      'The answer began: Sorry, I cannot write that file.\nAsk for the file in a fenced code block, or set "extract: raw" to take the whole answer as the file.',
    );
  });

  it("blocks that cannot be the file: lists each with why it was set aside, and asks for the file itself", () => {
    const answer = `${F}bash\n\n  pip install requests\n${F}\n${F}python\n\n\n${F}\n${F}python\n# tests/test_a.py\nassert True\n${F}\n`;
    const error = errorOf(answer);
    expect(error.code).toBe("PC_ANSWER_NO_CODE");
    expect(error.hint).toBe(
      [
        "Its 3 code blocks:",
        "  block at line 1 (```bash, 2 lines): pip install requests: set aside, it is `bash`, not python",
        "  block at line 5 (```python, 2 lines): : set aside, it is empty",
        "  block at line 9 (```python, 1 line): assert True: set aside, it is named tests/test_a.py",
        "Ask for the complete file generated/a.py itself in a code block (not a patch, a command or a session).",
      ].join("\n"),
    );
    const one = errorOf(`${F}diff\n-a\n+b\n${F}\n`);
    expect(one.hint).toBe(
      "Its 1 code block:\n  block at line 1 (```diff, 2 lines): -a: set aside, it is `diff`, not python\nAsk for the complete file generated/a.py itself in a code block (not a patch, a command or a session).",
    );
  });

  it("names the type it wanted for a file pc knows no language of", () => {
    expect(errorOf(`${F}diff\n-a\n${F}\n`, ["etc/site.vhost"]).hint).toContain(
      "set aside, it is `diff`, not a .vhost etc/site.vhost",
    );
    expect(errorOf(`${F}console\n$ make\n${F}\n`, ["bin/tool"]).hint).toContain(
      "set aside, it is `console`, not a file like bin/tool",
    );
  });

  it("several outputs: names every file it found no block for, each reason once, and asks to name each file", () => {
    const answer = `${F}bash\nrm -rf build\n${F}\n`;
    const error = errorOf(answer, ["generated/a.py", "generated/b.py"]);
    expect(error.message).toBe("the answer has no usable code block for generated/a.py, generated/b.py");
    expect(error.hint).toBe(
      "Its 1 code block:\n  block at line 1 (```bash, 1 line): rm -rf build: set aside, it is `bash`, not python\nName each file on the line before its block (generated/a.py) or in the block's first line (# generated/a.py).",
    );
    const unnamed = errorOf(`${F}python\nx = 1\n${F}\n`, ["generated/a.py", "generated/b.py"]);
    expect(unnamed.hint).toBe(
      "Its 1 code block: none fits\nName each file on the line before its block (generated/a.py) or in the block's first line (# generated/a.py).",
    );
  });
});

describe("an answer with more than one block that could be the file", () => {
  it("one output: lists the candidates and asks for the file alone", () => {
    const error = errorOf(`${F}python\n   \n   import os\n${F}\n${F}python\nprint(1)\n${F}\n`);
    expect(error.code).toBe("PC_ANSWER_AMBIGUOUS");
    expect(error.hint).toBe(
      [
        "Candidates:",
        "  block at line 1 (```python, 2 lines): import os",
        "  block at line 5 (```python, 1 line): print(1)",
        'Ask for generated/a.py alone, e.g. add "Reply with generated/a.py only; put usage examples and tests in no code block.", or name the file on the line before its block (generated/a.py) or in its first line (# generated/a.py).',
      ].join("\n"),
    );
  });

  it("a block right after a closing reasoning tag, on its line: named by that line and its fence as written", () => {
    for (const answer of [
      `<think>\nplan\n</think>~~~~python\nx = 1\n~~~~\n${F}python\ny = 2\n${F}\n`,
      `plan\n\n</think>~~~~python\nx = 1\n~~~~\n${F}python\ny = 2\n${F}\n`,
    ]) {
      expect(errorOf(answer).hint!.split("\n").slice(1, 3)).toEqual([
        "  block at line 3 (~~~~python, 1 line): x = 1",
        "  block at line 6 (```python, 1 line): y = 2",
      ]);
    }
  });

  it("several outputs: asks for each file under its path", () => {
    const answer = `Here is generated/a.py:\n${F}python\na = 1\n${F}\nAnd generated/a.py again:\n${F}python\na = 2\n${F}\ngenerated/b.js\n${F}js\nb()\n${F}\n`;
    const error = errorOf(answer, ["generated/a.py", "generated/b.js"]);
    expect(error.code).toBe("PC_ANSWER_AMBIGUOUS");
    expect(error.message).toBe("the answer has 2 code blocks that could be generated/a.py");
    expect(error.hint).toMatch(
      /\nAsk for each file under its path, or name the file on the line before its block \(generated\/a\.py\) or in its first line \(# generated\/a\.py\)\.$/,
    );
  });

  it("a Markdown block that could end at two places: says where each reading ends and how to fence it", () => {
    const answer = `${F}markdown\n# Use\n${F}\nnpm i\n${F}\nDone.\n${F}\n`;
    const error = errorOf(answer, ["docs/use.md"]);
    expect(error.code).toBe("PC_ANSWER_AMBIGUOUS");
    expect(error.message).toBe(
      "the answer's block for docs/use.md (line 1) could end at two places: an inner fence with no language makes it unclear",
    );
    expect(error.hint).toBe(
      "Read one way it ends at line 3, the other way at line 7.\nAsk for the file in a longer fence (````markdown ... ````) or ask for a language on every inner fence.",
    );
  });
});
