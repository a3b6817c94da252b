// The ways models name the file a block holds, each tried where it decides: two Python outputs,
// so only the label tells the blocks apart.
import { describe, expect, it } from "vitest";
import { extractOutputs } from "../../src/answer/extract.js";
import { isPcError } from "../../src/util/errors.js";

const F = "```";
const OUTPUTS = ["generated/a.py", "generated/b.py"];
const B = `generated/b.py\n${F}python\nb = 2\n${F}\n`;
const extract = (answer: string, outputs = OUTPUTS) => {
  try {
    return extractOutputs(answer, outputs, "fenced");
  } catch (error) {
    if (isPcError(error)) return error.code;
    throw error;
  }
};
/** A usage example after the file: with one output, only a label tells the file's block from it. */
const USAGE = `${F}python\nimport a\n${F}\n`;
/** What one output, generated/a.py, gets from an answer with the usage example after it. */
const alone = (answer: string) => extract(`${answer}${USAGE}`, ["generated/a.py"]);

describe("a block named as the file", () => {
  it.each([
    "python generated/a.py",
    'python title="generated/a.py"',
    "python title='./generated/a.py' linenums",
    "python filename=generated/a.py",
    "python:generated/a.py",
    "py:./generated/a.py",
    "generated/a.py",
    "python  generated/a.py",
    'python title = "generated/a.py"',
  ])("in the info string: %s", (info) => {
    expect(extract(`${F}${info}\na = 1\n${F}\n${B}`)).toEqual({
      "generated/a.py": "a = 1\n",
      "generated/b.py": "b = 2\n",
    });
    expect(alone(`${F}${info}\na = 1\n${F}\n`)).toEqual({ "generated/a.py": "a = 1\n" });
  });

  it.each([
    "generated/a.py",
    "**generated/a.py**",
    "### `generated/a.py`",
    "#### 2) generated/a.py",
    "1. `generated/a.py`:",
    "12. generated/a.py",
    "- generated/a.py",
    "* **generated/a.py**",
    "> generated/a.py",
    "File: generated/a.py",
    "file generated/a.py",
    "Filename: `generated/a.py`",
    "Path: ./generated/a.py",
    "Create generated/a.py:",
    "update: generated/a.py",
    "In generated/a.py :",
    "`generated/a.py`  :",
    "project/generated/a.py",
    "../generated/a.py",
    ">generated/a.py",
    ">  - generated/a.py",
    "##  1. generated/a.py",
    "1.  - generated/a.py",
    "-  1) generated/a.py",
    "File : generated/a.py",
    "a.py",
  ])("on the line before, alone: %s", (line) => {
    expect(extract(`${line}\n${F}python\na = 1\n${F}\n${B}`)).toEqual({
      "generated/a.py": "a = 1\n",
      "generated/b.py": "b = 2\n",
    });
    expect(alone(`${line}\n${F}python\na = 1\n${F}\n`)).toEqual({ "generated/a.py": "a = 1\n" });
  });

  it.each([
    ["# generated/a.py", "a = 1\n"],
    ["#generated/a.py", "a = 1\n"],
    ["# ./generated/a.py", "a = 1\n"],
    ["# file: generated/a.py", "# file: generated/a.py\na = 1\n"],
    ["# Filename: generated/a.py (the entry point)", "# Filename: generated/a.py (the entry point)\na = 1\n"],
  ])("in its first line: %s", (first, code) => {
    expect(extract(`${F}python\n${first}\na = 1\n${F}\n${B}`)).toEqual({
      "generated/a.py": code,
      "generated/b.py": "b = 2\n",
    });
    expect(alone(`${F}python\n${first}\na = 1\n${F}\n`)).toEqual({ "generated/a.py": code });
  });

  it("by its file name alone when no other output has that name, never when two have", () => {
    expect(extract(`a.py\n${F}python\na = 1\n${F}\n${B}`)).toEqual({
      "generated/a.py": "a = 1\n",
      "generated/b.py": "b = 2\n",
    });
    const same = ["src/a.py", "lib/a.py"];
    expect(extract(`a.py\n${F}python\na = 1\n${F}\nlib/a.py\n${F}python\nb = 2\n${F}\n`, same)).toBe(
      "PC_ANSWER_NO_CODE",
    );
    expect(extract(`other/generated/a.py\n${F}python\na = 1\n${F}\n${B}`)).toEqual({
      "generated/a.py": "a = 1\n",
      "generated/b.py": "b = 2\n",
    });
    expect(extract(`x/a.py\n${F}python\na = 1\n${F}\n${B}`)).toBe("PC_ANSWER_NO_CODE");
  });
});

describe("a block the line before introduces among other words", () => {
  it.each([
    "Here is `generated/a.py`:",
    "Save this as generated/a.py.",
    "Save this as generated/a.py!",
    'Put it in "generated/a.py"; then run it.',
    "The module (generated/a.py), complete:",
    "Next, [generated/a.py]:",
    "Next,\tgenerated/a.py:",
    "Here is `a.py`:",
    "See [generated/a.py](generated/a.py):",
    "Main: generated/a.py",
    "That's it for generated/a.py!!",
  ])("%s", (line) => {
    expect(extract(`${line}\n${F}python\na = 1\n${F}\n${B}`)).toEqual({
      "generated/a.py": "a = 1\n",
      "generated/b.py": "b = 2\n",
    });
  });
});

describe("what is no label", () => {
  it.each([
    "https://example.com/generated/a.py",
    "http://example.com/generated/a.py",
    "v1.2",
    "generated/1.2",
    "Example:",
    "42.",
  ])("%s on the line before", (line) => {
    expect(extract(`${line}\n${F}python\na = 1\n${F}\n${B}`)).toBe("PC_ANSWER_NO_CODE");
    // With one output the block is the file's, and not set aside as another file's.
    expect(extract(`${line}\n${F}python\na = 1\n${F}\n`, ["generated/a.py"])).toEqual({ "generated/a.py": "a = 1\n" });
  });

  it("a word with a dot but no extension letters, or a URL in the info string", () => {
    expect(extract(`${F}python 3.12\na = 1\n${F}\n${B}`)).toBe("PC_ANSWER_NO_CODE");
    expect(extract(`${F}python https://example.com/generated/a.py\na = 1\n${F}\n${B}`)).toBe("PC_ANSWER_NO_CODE");
  });

  it("a first line that names a file not among the outputs and of no known type, with no folder, is code", () => {
    expect(extract(`${F}python\n# notes.xyz\na = 1\n${F}\n`, ["generated/a.py"])).toEqual({
      "generated/a.py": "# notes.xyz\na = 1\n",
    });
  });
});

describe("a path with no folder and of a type pc does not know", () => {
  it("names an output on the line before alone, even when the answer mentions it again", () => {
    const answer = [
      "a.vhost",
      `${F}\nServerName a\n${F}`,
      "Then include `a.vhost` from the main configuration:",
      `${F}\nInclude a.vhost\n${F}`,
      "b.vhost",
      `${F}\nServerName b\n${F}`,
    ].join("\n");
    expect(extract(answer, ["sites/a.vhost", "sites/b.vhost"])).toEqual({
      "sites/a.vhost": "ServerName a\n",
      "sites/b.vhost": "ServerName b\n",
    });
    expect(extract(`a.vhost\n${F}\nServerName a\n${F}\n${F}\nInclude a.vhost\n${F}\n`, ["sites/a.vhost"])).toEqual({
      "sites/a.vhost": "ServerName a\n",
    });
  });
});

describe("file names a line before mentions among other words", () => {
  it("a bare Dockerfile or Makefile is no mention: the word names the tool as often as the file", () => {
    const answer = `The program the Makefile runs:\n${F}python\nprint(1)\n${F}\n\n${F}makefile\nall:\n\tpython app.py\n${F}\n`;
    expect(extract(answer, ["app.py", "Makefile"])).toEqual({
      "app.py": "print(1)\n",
      Makefile: "all:\n\tpython app.py\n",
    });
  });

  it("paths whose file name ends in a digit or one letter", () => {
    for (const [output, language] of [
      ["src/a.c", "c"],
      ["config/app.json5", "json5"],
    ]) {
      const answer = `${output}\n${F}${language}\nfile\n${F}\n${F}${language}\nexample\n${F}\n`;
      expect(extract(answer, [output!]), output).toEqual({ [output!]: "file\n" });
    }
  });
});
