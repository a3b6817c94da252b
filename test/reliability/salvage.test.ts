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
