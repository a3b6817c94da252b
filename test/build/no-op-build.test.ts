import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import lockfile from "proper-lockfile";
import { beforeEach, describe, expect, it } from "vitest";
import { REPO, runPc } from "../support/pc.js";
import { makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

// A build with nothing to do answers from the hashes alone: it asks no model, writes no file and
// does not need the project lock. A build with work still takes the lock.
const server = useTestServer();
let root: string;
/** pc runs as if 10 s after the files were written: old enough to be kept in its hash record. */
const LATER = ["--import", path.join(REPO, "test/support/clock-ahead.mjs")];

const pc = (...args: string[]) => runPc([...args, "--base-url", server.baseURL], { cwd: root });
const pcLater = (...args: string[]) => runPc([...args, "--base-url", server.baseURL], { cwd: root, nodeArgs: LATER });

/** Every file under the project with its bytes and modification time. */
function snapshot(dir = root): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    files[path.relative(root, file)] = `${statSync(file).mtimeMs} ${readFileSync(file, "base64")}`;
  }
  return files;
}

beforeEach(async () => {
  const prompt = (name: string) => promptFile({ output: `generated/${name}.py`, body: `Write ${name}.` });
  root = (await makeProject({ "prompts/a.md": prompt("a"), "prompts/b.md": prompt("b") }, "pc-noop-")).root;
  const first = await pc("build");
  expect(first.stderr).toContain("2 built");
});

const HASH_RECORD = path.join(".pc", "file-hashes.json");
const without = (files: Record<string, string>, name: string) =>
  Object.fromEntries(Object.entries(files).filter(([f]) => f !== name));

describe("a build with nothing to do", () => {
  it("sends no request and leaves every file as it was; only pc's hash record learns the files", async () => {
    const before = snapshot();
    server.reset();
    const result = await pcLater("build");
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("0 built, 0 from cache, 2 fresh");
    expect(server.chatRequests()).toHaveLength(0);
    expect(without(snapshot(), HASH_RECORD)).toEqual(without(before, HASH_RECORD));
    expect(Object.keys(JSON.parse(readFileSync(path.join(root, HASH_RECORD), "utf8"))).sort()).toEqual([
      "generated/a.py",
      "generated/b.py",
      "prompts/a.md",
      "prompts/b.md",
    ]);

    const learned = snapshot();
    expect((await pcLater("build")).code).toBe(0);
    expect(snapshot()).toEqual(learned);
  });

  it("succeeds while another build holds the project lock; a build with work is refused", async () => {
    const release = await lockfile.lock(path.join(root, ".pc"), {
      lockfilePath: path.join(root, ".pc", "build.lock"),
      realpath: false,
    });
    try {
      expect((await pc("build")).code).toBe(0);
      writeFileSync(
        path.join(root, "prompts", "a.md"),
        readFileSync(path.join(root, "prompts", "a.md"), "utf8") + "Also print a.\n",
      );
      const busy = await pc("build");
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain("PC_PROJECT_BUSY");
    } finally {
      await release();
    }
    expect((await pc("build")).stderr).toContain("1 built");
  });
});
