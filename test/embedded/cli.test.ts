/** The built `pc` binary with the real tiny model: verify, model errors, and when node-llama-cpp is loaded. */
import { createHash } from "node:crypto";
import { readFile, readdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO, runPc } from "../support/pc.js";
import { copyProject, removeProject, readLockJson, makeProject } from "../support/project.js";
import { useTestServer } from "../support/test-server.js";
import { tinyPrompt, tinyProject } from "../support/tiny-project.js";

const BLOCK_HOOK = ["--import", path.join(REPO, "test/support/block-modules.mjs")];
let root: string;

/** Every file under the project with its size, mtime and hash: anything written shows up. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const info = await stat(file);
    const hash = createHash("sha256")
      .update(await readFile(file))
      .digest("hex");
    result[path.relative(dir, file)] = `${info.size} ${info.mtimeMs} ${hash}`;
  }
  return result;
}

beforeAll(async () => {
  root = (
    await tinyProject({
      "a.md": { seed: 42, output: "generated/a.txt" },
      "b.md": { seed: 43, output: "generated/b.txt" },
    })
  ).root;
  const built = await runPc(["build"], { cwd: root });
  expect(built.stderr).toContain("2 built");
  expect(built.code).toBe(0);
});

afterAll(() => removeProject(root));

describe("pc verify on the embedded engine", () => {
  it("reports every prompt reproducible on an unchanged project and writes nothing", async () => {
    const before = await snapshot(root);
    const run = await runPc(["verify"], { cwd: root });
    expect(run.stdout).toContain("✓ reproducible prompts/a.md → generated/a.txt");
    expect(run.stdout).toContain("✓ reproducible prompts/b.md → generated/b.txt");
    expect(run.stdout).toMatch(/2 reproducible, 0 differ/);
    expect(run.code).toBe(0);
    expect(await snapshot(root)).toEqual(before);
  });

  it("catches a tampered output and shows the diff, exit 1", async () => {
    const file = path.join(root, "generated/a.txt");
    const original = await readFile(file, "utf8");
    await writeFile(file, `${original}tampered line\n`);
    try {
      const run = await runPc(["verify"], { cwd: root });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("✗ differs prompts/a.md");
      expect(run.stdout).toContain("generated/a.txt on disk is not what the prompt produces");
      expect(run.stdout).toContain("--- a/generated/a.txt\ton disk");
      expect(run.stdout).toContain("+++ b/generated/a.txt\tregenerated");
      expect(run.stdout).toContain("\n-tampered line\n");
      expect(run.stdout).toContain("✓ reproducible prompts/b.md");
      expect(run.stdout).toMatch(/1 reproducible, 1 differs/);
    } finally {
      await writeFile(file, original);
    }
  });

  it("catches a lock whose output hash was changed, in the --json report", async () => {
    const lockFile = path.join(root, "promptfile.lock");
    const original = await readFile(lockFile, "utf8");
    const lock = await readLockJson(root);
    const real = lock.prompts["prompts/b.md"]!.outputs["generated/b.txt"]!;
    const forged = `sha256:${"0".repeat(64)}`;
    await writeFile(lockFile, original.replace(real, forged));
    try {
      const run = await runPc(["verify", "prompts/b.md", "--json"], { cwd: root });
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout);
      expect(report.ok).toBe(false);
      expect(report.prompts).toHaveLength(1);
      expect(report.prompts[0]).toMatchObject({ prompt: "prompts/b.md", outcome: "differs", engine: "embedded" });
      expect(report.prompts[0].outputs[0]).toMatchObject({
        path: "generated/b.txt",
        matches: false,
        recorded: forged,
        regenerated: real,
        onDisk: real,
      });
      expect(report.prompts[0].hints.join(" ")).toMatch(/edited by hand/);
    } finally {
      await writeFile(lockFile, original);
    }
  });
});

describe("pc build with a bad model file", () => {
  it("names a missing GGUF file and a file that is not GGUF, and how to fix them", async () => {
    const own = (await copyProject(root)).root; // its own: the prompts it adds stay broken
    await writeFile(path.join(own, "models/garbage.gguf"), "not a model\n".repeat(10));
    await writeFile(
      path.join(own, "prompts/missing.md"),
      tinyPrompt({ output: "generated/m.txt", model: "gguf:models/missing.gguf" }),
    );
    await writeFile(
      path.join(own, "prompts/garbage.md"),
      tinyPrompt({ output: "generated/g.txt", model: "gguf:models/garbage.gguf" }),
    );
    const run = await runPc(["build", "prompts/missing.md", "prompts/garbage.md"], { cwd: own });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/prompts\/missing\.md: model file "models\/missing\.gguf" does not exist/);
    expect(run.stderr).toMatch(
      /A relative path is looked up in the project root; e.g. model: gguf:models\/.*gguf:~\/models\//,
    );
    expect(run.stderr).toMatch(/models\/garbage\.gguf is not a GGUF model file/);
    expect(run.stderr).toMatch(/Point `model:` at a GGUF model file/);
    expect(run.stderr).toContain("2 failed");
  });
});

describe("node-llama-cpp is loaded only for embedded models", () => {
  const server = useTestServer();
  let serverRoot: string;
  let otherRoot: string;
  beforeAll(async () => {
    const prompt = [
      "---",
      "version: 1",
      "model: test-model",
      "seed: 1",
      "temperature: 0",
      "output: generated/hello.py",
      "---",
      "Write generated/hello.py.",
      "",
    ];
    serverRoot = (await makeProject({ "prompts/hello.md": prompt.join("\n") }, "pc-served-")).root;
    otherRoot = (await tinyProject({ "a.md": { output: "generated/a.txt" } })).root;
  });
  afterAll(async () => {
    await removeProject(serverRoot);
    await removeProject(otherRoot);
  });

  const blocking = (log: string, modules: string) => ({
    nodeArgs: BLOCK_HOOK,
    env: { PC_TEST_BLOCK: modules, PC_TEST_IMPORT_LOG: log },
  });
  const attempts = (log: string) => readFile(log, "utf8").catch(() => "");

  it("pc --help loads none of node-llama-cpp, openai, prettier and chokidar", async () => {
    const log = path.join(serverRoot, "help-imports.log");
    const run = await runPc(["--help"], {
      cwd: serverRoot,
      ...blocking(log, "node-llama-cpp,@node-llama-cpp,openai,prettier,chokidar"),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("verify [...paths]");
    expect(await attempts(log)).toBe("");
  });

  it("a server build succeeds with node-llama-cpp unresolvable and never tries to import it", async () => {
    const log = path.join(serverRoot, "build-imports.log");
    const run = await runPc(["build", "--base-url", server.baseURL], {
      cwd: serverRoot,
      ...blocking(log, "node-llama-cpp,@node-llama-cpp"),
    });
    expect(run.stderr).toContain("1 built");
    expect(run.code).toBe(0);
    expect(await readFile(path.join(serverRoot, "generated/hello.py"), "utf8")).toMatch(/^# answer /);
    expect(await attempts(log)).toBe("");
  });

  it("an embedded build under the same hook fails clearly: the hook does block it", async () => {
    const log = path.join(otherRoot, "imports.log");
    const run = await runPc(["build"], { cwd: otherRoot, ...blocking(log, "node-llama-cpp,@node-llama-cpp") });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("The embedded engine needs node-llama-cpp, which could not be loaded.");
    expect(run.stderr).toContain("npm install node-llama-cpp");
    expect(await attempts(log)).toContain("node-llama-cpp");
  });
});
