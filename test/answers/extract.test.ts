// The answer extractor, rule by rule: fences, the choice among blocks, labels, reasoning.
import { describe, expect, it } from "vitest";
import { extractOutputs } from "../../src/answer/extract.js";
import { languageFit } from "../../src/answer/languages.js";
import { withoutReasoning } from "../../src/answer/reasoning.js";
import { buildMessages, languageOf } from "../../src/prompt/protocol.js";
import { PcError } from "../../src/util/errors.js";

const F = "```";
const one = (answer: string, output = "generated/a.py", mode: "fenced" | "raw" = "fenced") =>
  extractOutputs(answer, [output], mode)[output];
const errorOf = (f: () => unknown): PcError => {
  try {
    f();
  } catch (error) {
    if (error instanceof PcError) return error;
    throw error;
  }
  throw new Error("expected a PcError");
};

describe("fences, as CommonMark reads them", () => {
  it("a closing fence must be the opening's character: ~~~ does not close ```", () => {
    expect(one(`${F}python\na = 1\n~~~\nb = 2\n${F}\n`)).toBe("a = 1\n~~~\nb = 2\n");
    expect(one(`~~~python\na = 1\n${F}\nb = 2\n~~~\n`)).toBe(`a = 1\n${F}\nb = 2\n`);
  });

  it("a closing fence must be at least as long as the opening one; a longer one closes", () => {
    expect(one(`\`\`\`\`python\na = 1\n${F}\nb = 2\n\`\`\`\`\n`)).toBe(`a = 1\n${F}\nb = 2\n`);
    expect(one(`${F}python\na = 1\n\`\`\`\`\`\nafter\n`)).toBe("a = 1\n");
  });

  it("a fence line with an info string, or indented four spaces, or with text after it, does not close", () => {
    expect(one(`${F}python\na = 1\n${F}text\n    ${F}\n${F} x\nb = 2\n${F}\n`)).toBe(
      `a = 1\n${F}text\n    ${F}\n${F} x\nb = 2\n`,
    );
  });

  it("a closing fence may be indented up to three spaces and followed by spaces", () => {
    expect(one(`${F}python\na = 1\n   ${F}   \nprose\n`)).toBe("a = 1\n");
  });

  it("a backtick fence whose info string holds a backtick is inline code, not a fence", () => {
    expect(one(`${F}python\`\n${F}python\na = 1\n${F}\n`)).toBe("a = 1\n");
  });

  it("content loses the opening fence's indentation, no more", () => {
    expect(one(`1. File:\n  ${F}python\n  if x:\n      y()\n z()\n  ${F}\n`)).toBe("if x:\n    y()\nz()\n");
  });

  it("an unclosed block runs to the end of the answer", () => {
    expect(one(`${F}python\na = 1\nb = 2\n`)).toBe("a = 1\nb = 2\n");
  });
});

describe("choosing the block", () => {
  const file = "import sys\n\n\ndef main():\n    print(sys.argv)\n\n\nmain()\n";

  it("takes the whole file, not a piece of it shown before or after (the longest of blocks that contain each other)", () => {
    expect(
      one(`The key part:\n${F}python\ndef main():\n    print(sys.argv)\n${F}\nAll of it:\n${F}python\n${file}${F}\n`),
    ).toBe(file);
    expect(one(`${F}python\n${file}${F}\nThe key part:\n${F}python\ndef main():\n    print(sys.argv)\n${F}\n`)).toBe(
      file,
    );
  });

  it("prefers the output's language over a longer block with no language", () => {
    const output = Array.from({ length: 50 }, (_, i) => `line ${i}`).join("\n");
    expect(one(`${F}\n${output}\n${F}\n${F}python\n${file}${F}\n`)).toBe(file);
    expect(one(`${F}python\n${file}${F}\nOutput:\n${F}text\n${output}\n${F}\n`)).toBe(file);
  });

  it("prefers a block named as the output over one in its language", () => {
    expect(one(`${F}python\nother = 1\n${F}\n**generated/a.py**\n${F}python\n${file}${F}\n`)).toBe(file);
  });

  it("takes a mention of the path in the line before for a sign only among several outputs", () => {
    const mentioned = `Here is \`generated/a.py\`:\n${F}python\n${file}${F}\nRun \`generated/b.py\` with:\n${F}python\nb = 2\n${F}\n`;
    expect(extractOutputs(mentioned, ["generated/a.py", "generated/b.py"], "fenced")).toEqual({
      "generated/a.py": file,
      "generated/b.py": "b = 2\n",
    });
    expect(errorOf(() => one(mentioned)).code).toBe("PC_ANSWER_AMBIGUOUS");
  });

  it("never writes a block in another language: a diff, a shell session, bash for a .py file", () => {
    for (const lang of ["diff", "patch", "console", "shell-session", "bash", "javascript", "pycon"]) {
      const error = errorOf(() => one(`${F}${lang}\n${file}${F}\n`));
      expect(error.code, lang).toBe("PC_ANSWER_NO_CODE");
      expect(error.hint, lang).toContain(`it is \`${lang}\``);
    }
  });

  it("fails as ambiguous on two unrelated blocks in the output's language, listing each with its first line", () => {
    const error = errorOf(() => one(`${F}python\n${file}${F}\nUsage:\n${F}python\nfrom a import main\nmain()\n${F}\n`));
    expect(error.code).toBe("PC_ANSWER_AMBIGUOUS");
    expect(error.message).toBe("the answer has 2 code blocks that could be generated/a.py");
    expect(error.hint).toContain("block at line 1 (```python, 8 lines): import sys");
    expect(error.hint).toContain("block at line 12 (```python, 2 lines): from a import main");
    expect(error.hint).toMatch(
      /name the file on the line before its block \(generated\/a\.py\) or in its first line \(# generated\/a\.py\)/,
    );
  });

  it("sets aside a block named as another file", () => {
    expect(one(`${F}python\n${file}${F}\n${F}python\n# tests/test_a.py\nassert True\n${F}\n`)).toBe(file);
    expect(one(`${F}python\n${file}${F}\ntests/test_a.py\n${F}python\nassert True\n${F}\n`)).toBe(file);
  });

  it("takes several outputs by their labels, whatever their order", () => {
    const answer = `${F}python\n# generated/b.py\nb = 2\n${F}\n${F}python title="generated/a.py"\na = 1\n${F}\n`;
    expect(extractOutputs(answer, ["generated/a.py", "generated/b.py"], "fenced")).toEqual({
      "generated/a.py": "a = 1\n",
      "generated/b.py": "b = 2\n",
    });
  });
});

describe("path labels", () => {
  it("drops a first line that holds nothing but the path, in the output's comment syntax", () => {
    expect(one(`${F}python\n# generated/a.py\na = 1\n${F}\n`)).toBe("a = 1\n");
    expect(one(`${F}ts\n// src/b.ts\nconst b = 1;\n${F}\n`, "src/b.ts")).toBe("const b = 1;\n");
    expect(one(`${F}markdown\n<!-- docs/x.md -->\n# X\n${F}\n`, "docs/x.md")).toBe("# X\n");
    expect(one(`${F}css\n/* web/site.css */\nbody {}\n${F}\n`, "web/site.css")).toBe("body {}\n");
  });

  it("takes no word that only looks like a path for a label: the block is not set aside, the line is kept", () => {
    expect(one(`v1.2\n${F}python\na = 1\n${F}\n`)).toBe("a = 1\n");
    expect(one(`${F}python\n# v1.2\na = 1\n${F}\n`)).toBe("# v1.2\na = 1\n");
  });

  it("keeps a first line that says more than the path, and a shebang", () => {
    expect(one(`${F}python\n# generated/a.py: the entry point\na = 1\n${F}\n`)).toBe(
      "# generated/a.py: the entry point\na = 1\n",
    );
    expect(one(`${F}bash\n#!/usr/bin/env bash\necho hi\n${F}\n`, "bin/hi.sh")).toBe("#!/usr/bin/env bash\necho hi\n");
  });
});

describe("reasoning", () => {
  it("drops think, thinking and reasoning sections with the drafts inside them, in any case", () => {
    for (const tag of ["think", "thinking", "reasoning", "THINK"]) {
      expect(one(`<${tag}>\n${F}python\ndraft = 0\n${F}\n</${tag}>\n${F}python\nfinal = 1\n${F}\n`), tag).toBe(
        "final = 1\n",
      );
    }
  });

  it("drops everything before a closing tag that has no opening tag (DeepSeek-R1)", () => {
    const visible = withoutReasoning(`So the draft is\n${F}python\ndraft = 0\n${F}\n</think>\n\nfinal\n`);
    expect(visible.lines).toEqual([{ text: "final", line: 7 }]);
  });

  it("keeps tags inside code blocks, and a closing tag in the middle of a prose line", () => {
    const code = `pattern = "<think>"\n<think>\n</think>\n`;
    expect(one(`${F}python\n${code}${F}\n`)).toBe(code);
    expect(withoutReasoning("Models write </think> tags.\nok\n").reasoning).toBe(false);
  });

  it("raw mode: the file is what follows the reasoning; an unclosed section leaves no file", () => {
    expect(one("<think>\nplan\n</think>\n\n#!/bin/sh\necho hi\n\n", "bin/hi.sh", "raw")).toBe("#!/bin/sh\necho hi\n\n");
    expect(errorOf(() => one("<think>\nplan, and", "bin/hi.sh", "raw")).message).toMatch(
      /holds only reasoning \(its <think> section never closed\)/,
    );
  });
});

describe("languages", () => {
  it("every language the answer protocol asks for is the output's own language to the extractor", () => {
    for (const ext of [
      ".py",
      ".js",
      ".mjs",
      ".cjs",
      ".ts",
      ".tsx",
      ".jsx",
      ".sh",
      ".go",
      ".rs",
      ".rb",
      ".java",
      ".c",
      ".h",
      ".cpp",
      ".cs",
      ".php",
      ".lua",
      ".json",
      ".yaml",
      ".yml",
      ".toml",
      ".md",
      ".html",
      ".css",
      ".sql",
      ".swift",
      ".kt",
      ".r",
      ".pl",
    ]) {
      expect(languageFit(languageOf(`x${ext}`), `x${ext}`), ext).toBe("same");
    }
  });

  it("a type pc does not know takes its own extension as its language and nothing as clearly other, except diffs and sessions", () => {
    expect(languageFit("conf", "etc/app.conf")).toBe("same");
    expect(languageFit("nginx", "etc/site.vhost")).toBe("neutral");
    expect(languageFit("diff", "etc/site.vhost")).toBe("other");
    expect(languageFit("diff", "fix.patch")).toBe("same");
  });
});

describe("the answer protocol", () => {
  const contract = (outputs: string[]) =>
    buildMessages({ body: "x", context: [], outputs, extract: "fenced" })[1]!.content;

  it("asks for a four-backtick fence for a Markdown output, and keeps the wording of every other prompt", () => {
    expect(contract(["docs/a.md"])).toContain("in one code block fenced with four backticks (````markdown ... ````)");
    expect(contract(["generated/a.py"])).toContain(
      "Reply with the complete file `generated/a.py` in one fenced code block (```python ... ```).\n",
    );
    expect(contract(["generated/a.py", "generated/b.py"])).not.toContain("four backticks");
    expect(contract(["generated/a.py", "docs/b.md"])).toContain("Fence docs/b.md with four backticks");
  });
});
