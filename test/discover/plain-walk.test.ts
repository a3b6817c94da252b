import fc from "fast-check";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { glob } from "tinyglobby";
import { afterAll, describe, expect, it } from "vitest";
import { walkPlainPrompts } from "../../src/prompt/plain-walk.js";

// The plain walk stands in for the glob `prompts/**/*.md` on trees of folders and regular files:
// on any such tree it must find exactly what the glob finds, and hand anything else to the glob.
const temp = mkdtempSync(path.join(tmpdir(), "pc-walk-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const globbed = (root: string) =>
  glob(["prompts/**/*.md"], {
    cwd: root,
    ignore: ["**/node_modules/**", "**/.git/**", ".pc/**"],
    onlyFiles: true,
    dot: false,
    expandDirectories: false,
  });

const NAMES = [
  "a",
  "b.md",
  "c.MD",
  "d.txt",
  ".md",
  ".e.md",
  ".git",
  "node_modules",
  "_p.md",
  "x.y.md",
  "sp ace.md",
  "[k].md",
  "ü.md",
];
type Tree = { [name: string]: Tree | string };
const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.dictionary(fc.constantFrom(...NAMES), fc.oneof({ depthSize: "small" }, fc.constant("x\n"), tie("tree")), {
    maxKeys: 5,
  }),
})).tree;

function write(folder: string, t: Tree): void {
  mkdirSync(folder, { recursive: true });
  for (const [name, value] of Object.entries(t)) {
    if (typeof value === "string") writeFileSync(path.join(folder, name), value);
    else write(path.join(folder, name), value);
  }
}

let n = 0;
describe("walkPlainPrompts", () => {
  it("finds what the glob prompts/**/*.md finds, on any tree of folders and files", async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (t) => {
        const root = path.join(temp, `p${n++}`);
        write(path.join(root, "prompts"), t);
        expect(walkPlainPrompts(root)?.sort()).toEqual((await globbed(root)).sort());
      }),
      { numRuns: 60 },
    );
  });

  it("leaves trees with symbolic links to the glob, and finds nothing without a prompts folder", () => {
    const root = path.join(temp, "links");
    write(path.join(root, "prompts"), { "a.md": "x\n" });
    write(path.join(root, "shared"), { "b.md": "x\n" });
    symlinkSync("../shared", path.join(root, "prompts", "shared"));
    expect(walkPlainPrompts(root)).toBeUndefined();
    expect(walkPlainPrompts(path.join(temp, "nothing-here"))).toEqual([]);
  });
});
