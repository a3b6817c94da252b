import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../src/util/config.js";
import { discoverPrompts } from "../../src/prompt/discover.js";

// Which files count as prompts: the rules a user relies on (partials, dot folders, node_modules,
// excluded folders, symlinked folders), on a real tree.
let root: string;

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), "pc-discover-"));
  const files = [
    "prompts/app.md",
    "prompts/_style.md",
    "prompts/api/users.md",
    "prompts/api/deep/orders.md",
    "prompts/.hidden/secret.md",
    "prompts/.dotfile.md",
    "prompts/node_modules/pkg/readme.md",
    "prompts/drafts/idea.md",
    "prompts/drafts/old/older.md",
    "prompts/notes.txt",
    ".git/prompts/x.md",
    "shared/common.md",
  ];
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), "x\n");
  }
  symlinkSync("../shared", path.join(root, "prompts/linked"));
  symlinkSync("nowhere.md", path.join(root, "prompts/broken.md"));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const discover = async (config: Partial<typeof DEFAULT_CONFIG>) =>
  (await discoverPrompts(root, { ...DEFAULT_CONFIG, ...config })).prompts;

describe("discoverPrompts", () => {
  it("finds markdown prompts, follows symlinked folders, skips partials, dot folders, node_modules and broken links", async () => {
    expect(await discover({})).toEqual([
      "prompts/api/deep/orders.md",
      "prompts/api/users.md",
      "prompts/app.md",
      "prompts/drafts/idea.md",
      "prompts/drafts/old/older.md",
      "prompts/linked/common.md",
    ]);
  });

  it("leaves out an excluded folder named without a glob, with everything below it", async () => {
    expect(await discover({ exclude: ["prompts/drafts"] })).not.toContain("prompts/drafts/old/older.md");
    expect(await discover({ exclude: ["prompts/drafts"] })).toHaveLength(4);
    expect(await discover({ exclude: ["**/deep/**"] })).not.toContain("prompts/api/deep/orders.md");
  });

  it("takes several patterns, braces and negations", async () => {
    expect(await discover({ prompts: ["prompts/{api,drafts}/*.md", "!prompts/drafts/**"] })).toEqual([
      "prompts/api/users.md",
    ]);
    expect(await discover({ prompts: ["prompts/*.md", "prompts/*.txt"] })).toEqual([
      "prompts/app.md",
      "prompts/notes.txt",
    ]);
  });

  it("does not take a folder name for the files in it", async () => {
    expect(await discover({ prompts: ["prompts/api"] })).toEqual([]);
  });
});
