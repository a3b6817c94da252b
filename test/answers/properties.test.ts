// Properties of the answer extractor (fast-check): any file content, wrapped the ways models wrap
// it, comes back byte for byte; and the fences it reads are the ones CommonMark's reference-grade
// parser (markdown-it) reads.
import fc from "fast-check";
import MarkdownIt from "markdown-it";
import { describe, expect, it } from "vitest";
import { extractOutputs } from "../../src/answer/extract.js";
import { findCodeBlocks } from "../../src/answer/fences.js";

/** A line of a file: any text without line breaks (CR LF is read as LF, so a file is LF). */
const fileLine = fc
  .oneof(
    fc.string({ unit: "grapheme", maxLength: 30 }),
    fc.constantFrom(
      "",
      "    indented",
      "```",
      "~~~",
      "````js",
      "<think>",
      "</think>",
      "# heading",
      "\t\ttabs",
      "`",
      "~~~~~",
    ),
  )
  .filter((l) => !/[\r\n]/.test(l));

/** File content as written: lines ending in newlines, something that is not blank. */
const fileContent = fc
  .array(fileLine, { minLength: 1, maxLength: 12 })
  .map((lines) => `${lines.join("\n")}\n`)
  .filter((text) => text.trim() !== "");

/** A fence no line of the content can close: longer than any run of its character that starts a line. */
function fenceAround(content: string, char: "`" | "~"): string {
  const runs = content.split("\n").map((l) => new RegExp(`^ {0,3}(\\${char}+)`).exec(l)?.[1]?.length ?? 0);
  return char.repeat(Math.max(3, ...runs.map((n) => n + 1)));
}

interface Wrapping {
  char: "`" | "~";
  label: string;
  indent: number;
  before: string;
  after: string;
  think: boolean;
  naming: "none" | "line-before" | "bold" | "info-title" | "first-line";
}

const prose = fc.constantFrom(
  "",
  "Here is the file:",
  "Sure! Below is the complete script.\n",
  "### `generated/a.py`\n",
  "Explanation: it reads `argv`.",
);
const wrapping: fc.Arbitrary<Wrapping> = fc.record({
  char: fc.constantFrom("`" as const, "~" as const),
  label: fc.constantFrom("python", "py", "Python", "python3", "", "text"),
  indent: fc.integer({ min: 0, max: 3 }),
  before: prose,
  after: prose,
  think: fc.boolean(),
  naming: fc.constantFrom(
    "none" as const,
    "line-before" as const,
    "bold" as const,
    "info-title" as const,
    "first-line" as const,
  ),
});

/** The answer a model writes around `content` for generated/a.py. */
function wrap(content: string, w: Wrapping): string {
  const fence = fenceAround(content, w.char);
  const pad = " ".repeat(w.indent);
  const info = w.naming === "info-title" ? `${w.label} title="generated/a.py"` : w.label;
  const body = (w.naming === "first-line" ? `# generated/a.py\n${content}` : content)
    .split("\n")
    .map((l) => (l ? pad + l : l))
    .join("\n");
  const name = w.naming === "line-before" ? "generated/a.py\n" : w.naming === "bold" ? "**generated/a.py**\n" : "";
  const think = w.think
    ? `<think>\nA draft first:\n\`\`\`python\nprint("draft")\n\`\`\`\nNow the real one.\n</think>\n\n`
    : "";
  return `${think}${w.before}\n\n${name}${pad}${fence}${info}\n${body}${pad}${fence}\n\n${w.after}\n`;
}

/** A first line that is a comment holding only a path is a label, so a file cannot start with one. */
const startsWithPathComment = (content: string) =>
  /^\s*(#|\/\/|--|;|%)\s*[\w./-]+\.\w+\s*$/.test(content.split("\n")[0]!);

describe("any file content, wrapped the ways models wrap it", () => {
  it("comes back byte for byte", () => {
    fc.assert(
      fc.property(fileContent, wrapping, (content, w) => {
        fc.pre(!startsWithPathComment(content));
        expect(extractOutputs(wrap(content, w), ["generated/a.py"], "fenced")).toEqual({ "generated/a.py": content });
      }),
      { numRuns: 2000 },
    );
  });

  it("comes back byte for byte with extract: raw after a think section", () => {
    fc.assert(
      fc.property(fileContent, fc.constantFrom("\n", "\n\n", ""), (content, gap) => {
        expect(extractOutputs(`<think>\nplan\n</think>\n${gap}${content}`, ["bin/run.sh"], "raw")).toEqual({
          "bin/run.sh": content.replace(/^(\s*\n)+/, ""),
        });
      }),
    );
  });

  it("a Markdown file whose inner blocks carry a language comes back whole in a fence of the same length", () => {
    const text = fc.constantFrom("# Title", "Some prose.", "", "- item", "`inline`", "~~~", "Run it:");
    const inner = fc
      .record({ lang: fc.constantFrom("bash", "js", "python", "json"), lines: fc.array(text, { maxLength: 3 }) })
      .map(({ lang, lines }) => ["```" + lang, ...lines, "```"].join("\n"));
    const markdown = fc
      .array(fc.oneof(text, inner), { minLength: 1, maxLength: 8 })
      .map((parts) => `${parts.join("\n")}\n`)
      .filter((t) => t.trim() !== "" && !startsWithPathComment(t));
    fc.assert(
      fc.property(markdown, fc.constantFrom("markdown", "md", ""), (content, label) => {
        expect(
          extractOutputs(
            `Here is the README:\n\n\`\`\`${label}\n${content}\`\`\`\n\nEnjoy.\n`,
            ["docs/README.md"],
            "fenced",
          ),
        ).toEqual({ "docs/README.md": content });
      }),
      { numRuns: 1000 },
    );
  });
});

describe("fences", () => {
  // Top-level lines only: no list, quote or HTML containers (the extractor does not read them) and
  // no tabs, backslashes or entities (markdown-it decodes them in info strings).
  const line = fc.oneof(
    fc.constantFrom("", "text", "more text", "# heading", "    indented", "`code`", "---", "==="),
    fc
      .record({
        indent: fc.integer({ min: 0, max: 4 }),
        char: fc.constantFrom("`", "~"),
        length: fc.integer({ min: 2, max: 6 }),
        info: fc.constantFrom("", "python", " js", "ts title=a.ts", "x`y", "~", "  "),
      })
      .map(({ indent, char, length, info }) => " ".repeat(indent) + char.repeat(length) + info),
  );
  const md = new MarkdownIt();

  it("are the fenced code blocks CommonMark reads: same info strings, same contents", () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 16 }), (lines) => {
        const text = `${lines.join("\n")}\n`;
        const ours = findCodeBlocks(lines.map((t, i) => ({ text: t, line: i + 1 }))).map((b) => ({
          info: b.info,
          content: b.code,
        }));
        const theirs = md
          .parse(text, {})
          .filter((t) => t.type === "fence")
          .map((t) => ({ info: t.info.trim(), content: t.content }));
        expect(ours).toEqual(theirs);
      }),
      { numRuns: 3000 },
    );
  });
});
