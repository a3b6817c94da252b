// What can be read from a damaged lock: each side of a merge conflict (diff3 style included) and
// the complete entries of a truncated file.
import { describe, expect, it } from "vitest";
import { serializeLock, type Lock, type LockEntry } from "../../src/lock/lockfile.js";
import { conflictSides, salvageLock } from "../../src/lock/salvage.js";

const h = (c: string) => `sha256:${c.repeat(64)}`;
const entry = (c: string): LockEntry => ({
  version: 1,
  model: "m",
  seed: 1,
  temperature: 0,
  inputHash: h(c),
  inputs: { "prompts/x.md": h(c) },
  outputs: { "generated/x.py": h(c) },
  source: "llm",
  engine: { engine: "openai", model: "m" },
  sampling: { top_p: 1 },
  protocol: 1,
  requestHash: h(c),
});
const lock = (prompts: Record<string, LockEntry>): Lock => ({ lockfileVersion: 1, prompts });

describe("salvaging a damaged lock", () => {
  it("splits git conflict markers into both sides, dropping a diff3 base section", () => {
    const text = [
      "a",
      "<<<<<<< HEAD",
      "ours",
      "||||||| base",
      "base",
      "=======",
      "theirs",
      ">>>>>>> feature/x",
      "z",
    ].join("\n");
    expect(conflictSides(text)).toEqual([
      { name: "HEAD", text: "a\nours\nz" },
      { name: "feature/x", text: "a\ntheirs\nz" },
    ]);
    expect(conflictSides("no markers\n")).toBeUndefined();
  });

  it("parses each side of a conflicted lock", () => {
    const ours = serializeLock(lock({ "prompts/a.md": entry("a"), "prompts/b.md": entry("b") }));
    const theirs = serializeLock(lock({ "prompts/a.md": entry("a"), "prompts/b.md": entry("c") }));
    const [o, t] = [ours.split("\n"), theirs.split("\n")];
    const diff = o.findIndex((l, i) => l !== t[i]);
    const text = [
      ...o.slice(0, diff),
      "<<<<<<< HEAD",
      o[diff],
      "=======",
      t[diff],
      ">>>>>>> topic",
      ...o.slice(diff + 1),
    ].join("\n");
    const sides = salvageLock(text);
    expect(sides.map((s) => s.label)).toEqual(["the HEAD side of the conflict", "the topic side of the conflict"]);
    expect(sides[0]!.entries["prompts/b.md"]!.inputHash).toBe(h("b"));
    expect(sides[1]!.entries["prompts/b.md"]!.inputHash).toBe(h("c"));
  });

  it("keeps the complete entries of a truncated lock and drops the cut one", () => {
    const text = serializeLock(
      lock({ "prompts/a.md": entry("a"), "prompts/b.md": entry("b"), "prompts/c.md": entry("c") }),
    );
    const cut = text.slice(0, text.indexOf('"prompts/c.md"') + 60);
    const [salvaged] = salvageLock(cut);
    expect(salvaged!.label).toBe("the complete entries of the damaged file");
    expect(salvaged!.entries).toEqual({ "prompts/a.md": entry("a"), "prompts/b.md": entry("b") });
  });

  it("finds nothing in a lock of a newer version or in garbage", () => {
    const newer = serializeLock(lock({ "prompts/a.md": entry("a") }))
      .replace('"lockfileVersion": 1', '"lockfileVersion": 3')
      .slice(0, -20);
    expect(salvageLock(newer)).toEqual([]);
    expect(salvageLock("\u0000\u0001garbage")).toEqual([]);
  });
});

describe("the sides of a conflicted lock", () => {
  it("are named by the first conflict's markers, and every hunk goes to its side", () => {
    const text = [
      "a",
      "<<<<<<< HEAD",
      "ours 1",
      "=======",
      "theirs 1",
      ">>>>>>> topic",
      "b",
      "<<<<<<< other-name",
      "ours 2",
      "=======",
      "theirs 2",
      ">>>>>>> other-topic",
      "c",
    ].join("\n");
    expect(conflictSides(text)).toEqual([
      { name: "HEAD", text: "a\nours 1\nb\nours 2\nc" },
      { name: "topic", text: "a\ntheirs 1\nb\ntheirs 2\nc" },
    ]);
  });

  it("are called ours and theirs when the markers name nothing", () => {
    expect(conflictSides("<<<<<<<\nx\n=======\ny\n>>>>>>>\n")).toEqual([
      { name: "ours", text: "x\n" },
      { name: "theirs", text: "y\n" },
    ]);
  });

  it("keep a marker-like line outside a conflict as text", () => {
    // Before the first <<<<<<<, and after a hunk ends, ======= and ||||||| are plain lines.
    const text = [
      "=======",
      "|||||||",
      "<<<<<<< a",
      "x",
      "ends with =======",
      "=======",
      "y",
      ">>>>>>> b",
      ">>>>>>> c",
      "=======",
    ].join("\n");
    expect(conflictSides(text)).toEqual([
      { name: "a", text: "=======\n|||||||\nx\nends with =======\n>>>>>>> c\n=======" },
      { name: "b", text: "=======\n|||||||\ny\n>>>>>>> c\n=======" },
    ]);
  });

  it("give the complete entries of a side that does not parse as a whole, and nothing of a side with none", () => {
    const whole = serializeLock(lock({ "prompts/a.md": entry("a"), "prompts/b.md": entry("b") }));
    const cut = whole.slice(0, whole.indexOf('"prompts/b.md"') + 40);
    const text = `<<<<<<< HEAD\n${cut}\n=======\n{ "lockfileVersion": 1, "prompts": {\n>>>>>>> topic\n`;
    const sides = salvageLock(text);
    expect(sides).toEqual([
      { label: "the complete entries of the HEAD side", entries: { "prompts/a.md": entry("a") } },
    ]);
  });
});

describe("the complete entries of a damaged lock", () => {
  const text = serializeLock(
    lock({ "prompts/a.md": entry("a"), "prompts/b.md": entry("b"), "prompts/c.md": entry("c") }),
  );

  it("skip an entry damaged in the middle and keep the next ones", () => {
    const damaged = text.replace(`"inputHash": "${h("b")}"`, `"inputHash": "${h("b")}`);
    expect(Object.keys(salvageLock(damaged)[0]!.entries)).toEqual(["prompts/a.md", "prompts/c.md"]);
  });

  it("skip an entry that lost its last line and keep the entry after it", () => {
    const lines = text.split("\n");
    const endOfB = lines.findIndex((l, i) => i > lines.indexOf('    "prompts/b.md": {') && l === "    },");
    const damaged = [...lines.slice(0, endOfB - 2), ...lines.slice(endOfB + 1)].join("\n");
    expect(salvageLock(damaged)[0]!.entries).toEqual({ "prompts/a.md": entry("a"), "prompts/c.md": entry("c") });
  });

  it("skip an entry that is whole JSON but not a valid entry", () => {
    const invalid = text.replace(`"inputHash": "${h("b")}"`, `"inputHash": "md5:b"`);
    expect(salvageLock(invalid)[0]!.entries).toEqual({ "prompts/a.md": entry("a"), "prompts/c.md": entry("c") });
  });

  it("keep a prompt path with quotes and backslashes as it was", () => {
    const odd = 'prompts/a "quoted" \\ name.md';
    const cut = serializeLock(lock({ [odd]: entry("a"), "prompts/z.md": entry("z") })).slice(0, -30);
    expect(salvageLock(cut)[0]!.entries).toEqual({ [odd]: entry("a") });
  });

  it("come from a lock of this version only", () => {
    const cut = text.slice(0, -30);
    expect(Object.keys(salvageLock(cut)[0]!.entries)).toEqual(["prompts/a.md", "prompts/b.md"]);
    expect(salvageLock(cut.replace('"lockfileVersion": 1', '"lockfileVersion": 2'))).toEqual([]);
    expect(salvageLock(cut.replace('"lockfileVersion": 1', '"lockfileVersion":2'))).toEqual([]);
    expect(salvageLock(cut.replace('"lockfileVersion": 1', '"lockfileVersion": 10'))).toEqual([]);
  });
});
