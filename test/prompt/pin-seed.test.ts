import { describe, expect, it } from "vitest";
import { pinSeed } from "../../src/prompt/pin-seed.js";
import { parsePrompt } from "../../src/prompt/frontmatter.js";

describe("pinSeed", () => {
  it("changes only the seed number: comments, spacing and the body stay byte for byte", () => {
    const text =
      "---\nversion: 2   # bumped\nmodel: m\nseed:   41 # the one that passed\ntemperature: 0\noutput: a.py\n---\nseed: 41 in the body stays\n";
    const pinned = pinSeed("prompts/a.md", text, 7);
    expect(pinned).toBe(text.replace("seed:   41 #", "seed:   7 #"));
    expect(parsePrompt("prompts/a.md", pinned).frontmatter.seed).toBe(7);
  });

  it("keeps CRLF line endings and a BOM, and takes negative seeds", () => {
    const text = "\uFEFF---\r\nversion: 1\r\nmodel: m\r\nseed: -3\r\ntemperature: 0\r\noutput: a.py\r\n---\r\nbody\r\n";
    expect(pinSeed("p.md", text, 12)).toBe(text.replace("seed: -3", "seed: 12"));
  });

  it("changes a JSON frontmatter's seed", () => {
    const text =
      '---json\n{ "version": 1, "model": "m",\n  "seed": 5, "temperature": 0, "output": "a.py" }\n---\nbody\n';
    expect(pinSeed("p.md", text, 6)).toBe(text.replace('"seed": 5', '"seed": 6'));
  });

  it("does not touch an indented key of the same name (inside vars)", () => {
    const text = "---\nversion: 1\nvars:\n  seed: 1\nseed: 2\nmodel: m\ntemperature: 0\noutput: a.py\n---\nbody\n";
    expect(pinSeed("p.md", text, 9)).toBe(text.replace("\nseed: 2", "\nseed: 9"));
  });

  it("refuses a file without a seed line, naming the key", () => {
    expect(() => pinSeed("p.md", "---\nversion: 1\n---\nbody\n", 1)).toThrow(/no seed line/);
    expect(() => pinSeed("p.md", "no frontmatter\n", 1)).toThrow(/no frontmatter/);
  });
});
