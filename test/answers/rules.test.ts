// The extractor's rules at their edges: which block each output gets when several could, the
// reasoning a file never holds, and fences read the way a person reads them.
import { describe, expect, it } from "vitest";
import { extractOutputs } from "../../src/answer/extract.js";
import { findCodeBlocks } from "../../src/answer/fences.js";
import { languageFit } from "../../src/answer/languages.js";
import { withoutReasoning } from "../../src/answer/reasoning.js";
import { isPcError } from "../../src/util/errors.js";

const F = "```";
const extract = (answer: string, outputs: string[], mode: "fenced" | "raw" = "fenced") => {
  try {
    return extractOutputs(answer, outputs, mode);
  } catch (error) {
    if (isPcError(error)) return { error: error.code, message: error.message };
    throw error;
  }
};
const one = (answer: string, output = "generated/a.py", mode: "fenced" | "raw" = "fenced") =>
  extract(answer, [output], mode)[output];

describe("which block each of several outputs gets", () => {
  it("the one block in an output's language, when no other output has that language", () => {
    const answer = `${F}python\na = 1\n${F}\n\n${F}\nsample output\n${F}\n\ngenerated/b.js\n${F}js\nb()\n${F}\n`;
    expect(extract(answer, ["generated/a.py", "generated/b.js"])).toEqual({
      "generated/a.py": "a = 1\n",
      "generated/b.js": "b()\n",
    });
  });

  it("no unnamed block for either of two outputs of one language: never the same block for both", () => {
    for (const outputs of [
      ["generated/a.py", "generated/b.py"],
      ["stubs/a.pyi", "stubs/b.pyi"],
      ["include/a.h", "src/a.c"],
      ["stubs/a.pyi", "src/a.py"],
      ["sites/a.vhost", "sites/b.vhost"],
    ]) {
      const language = { py: "python", pyi: "python", c: "c", vhost: "vhost" }[outputs[1]!.split(".").pop()!];
      const answer = `${F}${language}\nx = 1\n${F}\n`;
      expect(extract(answer, outputs), outputs.join(" ")).toEqual({
        error: "PC_ANSWER_NO_CODE",
        message: `the answer has no usable code block for ${outputs.join(", ")}`,
      });
    }
  });

  it("two unnamed blocks in an output's language, or one introduced as another output's: no block for it", () => {
    const b = `generated/b.js\n${F}js\nb()\n${F}\n`;
    expect(
      extract(`${F}python\na = 1\n${F}\n${F}python\na = 2\n${F}\n${b}`, ["generated/a.py", "generated/b.js"]),
    ).toEqual({
      error: "PC_ANSWER_NO_CODE",
      message: "the answer has no usable code block for generated/a.py",
    });
    const usage = `Run \`generated/b.js\` first, then:\n${F}python\nimport a\n${F}\n${b}`;
    expect(extract(usage, ["generated/a.py", "generated/b.js"])).toEqual({
      error: "PC_ANSWER_NO_CODE",
      message: "the answer has no usable code block for generated/a.py",
    });
  });

  it("a line before that mentions the output among other paths still introduces it", () => {
    const answer = `Write \`generated/a.py\` next to \`config.yaml\`:\n${F}python\na = 1\n${F}\nThen \`generated/b.py\`:\n${F}python\nb = 2\n${F}\n`;
    expect(extract(answer, ["generated/a.py", "generated/b.py"])).toEqual({
      "generated/a.py": "a = 1\n",
      "generated/b.py": "b = 2\n",
    });
  });

  it("outputs without an extension are told apart by their names", () => {
    const answer = `Makefile\n${F}make\nall:\n${F}\nbin/run\n${F}bash\nmake\n${F}\n`;
    expect(extract(answer, ["Makefile", "bin/run"])).toEqual({ Makefile: "all:\n", "bin/run": "make\n" });
  });

  it("outputs of two languages with no extension each get the one block in their language", () => {
    const answer = `${F}dockerfile\nFROM node\n${F}\n\n${F}makefile\nall:\n\tdocker build .\n${F}\n`;
    expect(extract(answer, ["Dockerfile", "Makefile"])).toEqual({
      Dockerfile: "FROM node\n",
      Makefile: "all:\n\tdocker build .\n",
    });
  });
});

describe("one output among several candidates", () => {
  it("the block in the output's language, the fence's first word, before a block with none", () => {
    for (const info of ["python", "python linenums", "Python\ttitle=main"]) {
      expect(one(`${F}${info}\nprint(1)\n${F}\nIt prints:\n${F}\nHI\n${F}\n`), info).toBe("print(1)\n");
    }
  });

  it("of two copies of the file that differ only in trailing blanks, the first", () => {
    expect(one(`${F}python\nx = 1\n\n${F}\nOr:\n${F}python\nx = 1 \n${F}\n`)).toBe("x = 1\n\n");
    expect(one(`${F}python\nx = 1 \n${F}\nOr:\n${F}python\nx = 1\n\n${F}\n`)).toBe("x = 1 \n");
  });

  it("a piece shown first with a blank line before its closing fence is still a piece of the whole file", () => {
    const file = "import sys\n\n\ndef main():\n    print(sys.argv)\n";
    expect(
      one(`The key part:\n${F}python\ndef main():\n    print(sys.argv)\n\n${F}\nAll of it:\n${F}python\n${file}${F}\n`),
    ).toBe(file);
  });

  it("an empty block, or one of blank lines only, is never the file", () => {
    for (const empty of ["", "\n\n", "   \n"]) {
      expect(extract(`${F}python\n${empty}${F}\n`, ["generated/a.py"])).toMatchObject({ error: "PC_ANSWER_NO_CODE" });
    }
  });
});

describe("reasoning", () => {
  it("drops every reasoning section of a fenced answer, wherever it comes, with its drafts", () => {
    const answer = `Sure.\n<think>\n${F}python\ndraft = 0\n${F}\n</think>\n${F}python\nfinal = 1\n${F}\n<think>\nagain\n${F}python\ndraft = 2\n${F}\n</think>\n`;
    expect(one(answer)).toBe("final = 1\n");
    expect(withoutReasoning("a\n<think>\nx\n</think>\nb\n").lines.map((l) => l.text)).toEqual(["a", "b"]);
  });

  it("raw: reasoning only where the answer begins; a tag after the file's first line is the file's", () => {
    const guide = "# Prompting\nAsk the model to plan first:\n<thinking>\nthe plan\n</thinking>\nThen the answer.\n";
    expect(one(guide, "docs/prompting.md", "raw")).toBe(guide);
    expect(one("line 1\n<thinking>\nnot reasoning\n</thinking>\n", "notes/a.txt", "raw")).toBe(
      "line 1\n<thinking>\nnot reasoning\n</thinking>\n",
    );
    expect(one("  \n<think>\nplan\n</think>\nfile\n", "notes/a.txt", "raw")).toBe("file\n");
    expect(one("<think>\nplan\n</think>\n   \n\nfile\n", "notes/a.txt", "raw")).toBe("file\n");
  });

  it("raw: the file starts right after a closing tag on the same line, and needs no newline at its end", () => {
    expect(one("<think>plan</think>#!/bin/sh\necho hi\n", "bin/hi.sh", "raw")).toBe("#!/bin/sh\necho hi\n");
    expect(one("plan\n</think>#!/bin/sh\necho hi", "bin/hi.sh", "raw")).toBe("#!/bin/sh\necho hi\n");
    expect(one("<think>\nplan\n</think>\nprint(1)", "generated/a.py", "raw")).toBe("print(1)\n");
  });

  it("raw without reasoning: the answer as given, line endings kept, a final newline added", () => {
    expect(one("a\r\nb", "notes/a.txt", "raw")).toBe("a\r\nb\n");
    expect(one("a\n", "notes/a.txt", "raw")).toBe("a\n");
  });

  it("reasoning tags in any case", () => {
    expect(one(`${F}python\nfinal = 1\n${F}\n<Think>\n${F}python\ndraft = 0\n${F}\n</THINK>\nDone.\n`)).toBe(
      "final = 1\n",
    );
    expect(one(`the plan\n${F}python\ndraft = 0\n${F}\n</Reasoning>\n${F}python\nfinal = 1\n${F}\n`)).toBe(
      "final = 1\n",
    );
  });

  it("a lone carriage return ends a line as a newline does", () => {
    expect(one(`${F}python\ra = 1\r${F}\rprose\r`)).toBe("a = 1\n");
  });
});

describe("fences", () => {
  it("a line before the fence that holds only spaces does not hide the label above it", () => {
    const answer = `generated/b.py\n   \n${F}python\nb = 2\n${F}\n   File: generated/a.py\n${F}python\na = 1\n${F}\n`;
    expect(extract(answer, ["generated/a.py", "generated/b.py"])).toEqual({
      "generated/a.py": "a = 1\n",
      "generated/b.py": "b = 2\n",
    });
  });

  it("CommonMark alone (no repair asked): an inner fence with a language is content, the next bare fence closes", () => {
    const lines = ["```", "a", "```python", "b", "```", "c", "```"].map((text, i) => ({ text, line: i + 1 }));
    expect(findCodeBlocks(lines).map((b) => [b.code, b.endLine])).toEqual([
      ["a\n```python\nb\n", 5],
      ["", undefined],
    ]);
  });

  it("the repair is for Markdown only: a Python file's bare block closes at the first bare fence", () => {
    const python = `${F}\nx = 1\n${F}text\nnot code\n${F}\ny = 2\n${F}\n`;
    expect(one(python)).toBe("x = 1\n```text\nnot code\n");
    // Also when another output is a Markdown file.
    const both = `docs/a.md\n${F}\`markdown\n# A\n${F}\`\n\ngenerated/a.py\n${python}`;
    expect(extract(both, ["docs/a.md", "generated/a.py"])).toEqual({
      "docs/a.md": "# A\n",
      "generated/a.py": "x = 1\n```text\nnot code\n",
    });
  });

  it("in a Markdown file, an inner block of the other fence character is an inner block too", () => {
    const md = "# Use\n~~~md\n```\n~~~\nDone.\n";
    expect(one(`${F}markdown\n${md}${F}\n`, "docs/use.md")).toBe(md);
    expect(one(`~~~markdown\n# Use\n${F}bash\n~~~\n${F}\n~~~\n`, "docs/use.md")).toBe("# Use\n```bash\n~~~\n```\n");
  });

  it("a Markdown file in a block labelled text, or in a bare block named as the file, keeps its inner blocks", () => {
    const md = "# Use\n```bash\nnpm i\n```\nDone.\n";
    expect(one(`${F}text\n${md}${F}\n`, "docs/use.md")).toBe(md);
    const two = `Here is docs/use.md:\n${F}markdown\n${md}${F}\n\ngenerated/a.py\n${F}python\na = 1\n${F}\n`;
    expect(extract(two, ["docs/use.md", "generated/a.py"])).toEqual({ "docs/use.md": md, "generated/a.py": "a = 1\n" });
    const named = `docs/use.md\n${F}\n${md}${F}\n\ngenerated/a.py\n${F}python\na = 1\n${F}\n`;
    expect(extract(named, ["docs/use.md", "generated/a.py"])).toEqual({
      "docs/use.md": md,
      "generated/a.py": "a = 1\n",
    });
  });

  it("inner blocks that never close leave the CommonMark reading; a bare block after the file is no second ending", () => {
    expect(one(`${F}markdown\n# A\n${F}bash\nrun\n`, "docs/a.md")).toBe("# A\n```bash\nrun\n");
    expect(one(`${F}markdown\n# A\n${F}\ntext\n${F}\nmore\n`, "docs/a.md")).toBe("# A\n");
  });
});

describe("languages of files pc knows no language of", () => {
  it("the file's own extension is its language, in any case; a language pc knows says nothing", () => {
    expect(languageFit("vhost", "etc/site.vhost")).toBe("same");
    expect(languageFit("VHOST", "etc/site.vhost")).toBe("same");
    expect(languageFit("vhost", "etc/SITE.VHOST")).toBe("same");
    expect(languageFit("python", "etc/site.vhost")).toBe("neutral");
    expect(languageFit("txt", "notes/a.txt")).toBe("neutral");
  });
});
