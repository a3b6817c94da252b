// Property-based tests (fast-check): the frontmatter parser and the answer extractor never throw
// anything but PcError on arbitrary input, and the lock serializer round-trips.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PcError } from "../../src/util/errors.js";
import { LOCKFILE_VERSION, parseLock, serializeLock, type Lock, type LockEntry } from "../../src/lock/lockfile.js";
import { extractOutputs } from "../../src/answer/extract.js";
import { alonePath } from "../../src/answer/labels.js";
import { parsePrompt } from "../../src/prompt/frontmatter.js";

/** Runs `f`; passes when it returns or throws a PcError, fails on anything else it throws. */
function onlyPcErrors<T>(f: () => T): T | PcError {
  try {
    return f();
  } catch (error) {
    if (error instanceof PcError) return error;
    throw new Error(`threw a ${(error as Error)?.constructor?.name}: ${(error as Error)?.message}`, { cause: error });
  }
}

// YAML and Markdown fragments that stress parsers: tags, anchors, flow syntax, block scalars, odd keys.
const yamlBits = fc.constantFrom(
  "version: 1",
  "model: m",
  "seed: 1",
  "temperature: 0",
  "output: generated/a.py",
  "outputs: [a.py, b.py]",
  "seed: 1.5",
  "seed: -1",
  "seed: 1e400",
  "temperature: .inf",
  "temperature: .nan",
  "version: 0x1F",
  "model: ~",
  "output: !!binary aGVsbG8=",
  "output: !!js/function 'function () {}'",
  "output: !!js/regexp /x/",
  "seed: !!timestamp 2001-12-14",
  "context: &a [x]",
  "vars: *a",
  "<<: *a",
  "vars: { <<: {a: 1} }",
  "? complex",
  ": value",
  "- item",
  "{",
  "[",
  "]",
  "}",
  '"unterminated',
  "'single",
  "system: |",
  "  block",
  "system: >-",
  "\tindented: tab",
  "__proto__: { polluted: true }",
  "constructor: { prototype: 1 }",
  "vars: { __proto__: { x: 1 } }",
  "toString: 1",
  "format: yes",
  "extract: raw",
  'stop: ["```"]',
  "max_tokens: 99999999999999999999",
  "top_k: -1",
  "%YAML 1.2",
  "--- # doc",
  "...",
  "!!set {a, b}",
  "output: \u0000",
  "model: \uFEFF",
  "description: \uD800",
);
const fenceLang = fc.constantFrom("", "yaml", "json", "js", "javascript", "coffee", "toml", " js", "JSON", "yaml # x");
const structuredPrompt = fc
  .tuple(
    fenceLang,
    fc.array(fc.oneof(yamlBits, fc.string()), { maxLength: 12 }),
    fc.constantFrom("---", "--- ", "...", ""),
    fc.string(),
  )
  .map(([lang, lines, close, body]) => `---${lang}\n${lines.join("\n")}\n${close}\n${body}`);
const anyPrompt = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }),
  structuredPrompt,
  structuredPrompt.map((t) => t.replace(/\n/g, "\r\n")),
);

describe("the frontmatter parser", () => {
  it("returns a prompt or throws PcError, for any text", () => {
    fc.assert(
      fc.property(anyPrompt, (text) => {
        const result = onlyPcErrors(() => parsePrompt("prompts/p.md", text));
        if (result instanceof PcError) {
          expect(result.file).toBe("prompts/p.md");
        } else {
          // Whatever it accepts is fully pinned and has outputs.
          expect(Number.isInteger(result.frontmatter.seed)).toBe(true);
          expect(typeof result.frontmatter.model).toBe("string");
          expect(result.outputs.length).toBeGreaterThan(0);
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("never evaluates JavaScript frontmatter, whatever the fence says", () => {
    fc.assert(
      fc.property(fc.constantFrom("js", "javascript", "JS", " javascript ", "Js"), fc.string(), (lang, body) => {
        const text = `---${lang}\n(globalThis.__pcEvaluated = true, { version: 1 })\n---\n${body}`;
        const result = onlyPcErrors(() => parsePrompt("prompts/p.md", text));
        expect(result).toBeInstanceOf(PcError);
        expect((result as PcError).code).toBe("PC_FRONTMATTER_JS");
        expect((globalThis as Record<string, unknown>).__pcEvaluated).toBeUndefined();
      }),
    );
  });
});

// Answers made of the things models write: prose, fences of every kind, paths, unclosed blocks.
const answerBits = fc.constantFrom(
  "```",
  "```python",
  "```py generated/a.py",
  "~~~",
  "~~~~",
  "````",
  "``` ```",
  "   ```",
  "    ```",
  "generated/a.py",
  "**generated/b.ts**",
  "# generated/a.py",
  "Here is the file:",
  "",
  " ",
  "\t",
  "print('hi')",
  "```json",
  '{"a": 1}',
  "\r",
  "\u0000",
  "`inline`",
);
const anyAnswer = fc.oneof(
  fc.string(),
  fc.array(fc.oneof(answerBits, fc.string()), { maxLength: 20 }).map((l) => l.join("\n")),
);
const outputPath = fc.oneof(
  fc.constantFrom("generated/a.py", "generated/b.ts", "a.json", "x", "generated/a.py.bak"),
  fc.string({ minLength: 1 }),
);

describe("the answer extractor", () => {
  it("returns one text per output or throws PcError, for any answer", () => {
    fc.assert(
      fc.property(
        anyAnswer,
        fc.uniqueArray(outputPath, { minLength: 1, maxLength: 3 }),
        fc.constantFrom("fenced" as const, "raw" as const),
        (answer, outputs, mode) => {
          const result = onlyPcErrors(() =>
            extractOutputs(answer, mode === "raw" ? outputs.slice(0, 1) : outputs, mode),
          );
          if (result instanceof PcError) {
            expect(["PC_ANSWER_EMPTY", "PC_ANSWER_NO_CODE", "PC_ANSWER_AMBIGUOUS"]).toContain(result.code);
          } else {
            for (const [file, text] of Object.entries(result)) {
              expect(outputs).toContain(file);
              expect(text.trim()).not.toBe("");
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("gives back exactly the code a single fenced block holds", () => {
    const codeLine = fc.string().filter((l) => !/[\r\n]/.test(l) && !/^ {0,3}(`{3,}|~{3,})/.test(l));
    fc.assert(
      fc.property(
        fc.array(codeLine, { minLength: 1, maxLength: 10 }),
        fc.string().filter((s) => !/[`~\r]/.test(s)),
        (lines, prose) => {
          fc.pre(lines.join("").trim() !== "");
          // A line that holds only a path names the block as that file (see labels.ts), so prose is no such line.
          // Likewise a first line that is a comment holding one word may be the file's path.
          fc.pre(
            alonePath(
              prose
                .split("\n")
                .findLast((l) => l.trim() !== "")
                ?.trim() ?? "",
            ) === undefined && !/^\s*#\s*\S+\s*$/.test(lines[0]!),
          );
          const code = `${lines.join("\n")}\n`;
          const answer = `${prose}\n\n\`\`\`python\n${code}\`\`\`\n`;
          expect(extractOutputs(answer, ["generated/a.py"], "fenced")).toEqual({ "generated/a.py": code });
        },
      ),
    );
  });
});

const hash = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `sha256:${Buffer.from(b).toString("hex")}`);
const pathKey = fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "prompts/a.md", "a/ü/😀.py", ""));
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n));
const jsonish: fc.Arbitrary<unknown> = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)));
// Entries of older pc versions have no sampling, protocol or requestHash: the lock's reader takes them too.
const entry = fc.record(
  {
    version: fc.integer(),
    model: fc.string(),
    seed: fc.integer(),
    temperature: finite,
    sampling: fc.dictionary(fc.string(), jsonish),
    protocol: fc.integer(),
    inputHash: hash,
    requestHash: hash,
    inputs: fc.dictionary(pathKey, hash),
    contextGlobs: fc.array(fc.string()),
    outputs: fc.dictionary(pathKey, hash),
    source: fc.constantFrom("llm" as const, "cache" as const, "chat" as const, "hand" as const),
    label: fc.string(),
    engine: fc.record({
      engine: fc.constantFrom("openai" as const, "embedded" as const),
      model: fc.string(),
      threads: fc.integer(),
    }),
    usage: fc.record({ promptTokens: fc.nat(), completionTokens: fc.nat() }),
    durationMs: finite,
    stale: fc.string(),
  },
  { requiredKeys: ["version", "model", "seed", "temperature", "inputHash", "inputs", "outputs", "source"] },
) as fc.Arbitrary<LockEntry>;
const lock: fc.Arbitrary<Lock> = fc.record({
  lockfileVersion: fc.constant(LOCKFILE_VERSION),
  prompts: fc.dictionary(pathKey, entry, { maxKeys: 5 }),
});

describe("the lock serializer", () => {
  it("round-trips: parse(serialize(lock)) equals the lock, and serializing again gives the same bytes", () => {
    fc.assert(
      fc.property(lock, (value) => {
        const text = serializeLock(value);
        const parsed = parseLock(text);
        expect(parsed).toEqual(value);
        expect(serializeLock(parsed)).toBe(text);
        expect(text.endsWith("}\n")).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("does not depend on the order keys were added in", () => {
    fc.assert(
      fc.property(lock, (value) => {
        const reversed = JSON.parse(JSON.stringify(value), function (this: unknown, _key, v) {
          return v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).reverse()) : v;
        }) as Lock;
        expect(serializeLock(reversed)).toBe(serializeLock(value));
      }),
      { numRuns: 300 },
    );
  });
});
