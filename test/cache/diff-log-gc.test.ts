import { readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { paint } from "../../src/cli/diff-command.js";
import { sha256 } from "../../src/util/fs.js";
import { fencedAnswer } from "../support/openai-server.js";
import { runPc } from "../support/pc.js";
import { writeFiles, removeProject, readText, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
let root: string;

afterEach(async () => {
  if (root) await removeProject(root);
});

const A = "prompts/a.md";
const a = (body: string, extra: { seed?: number; extra?: string[] } = {}) =>
  promptFile({ output: "generated/a.py", body, ...extra });
const requests = () => server.chatRequests().length;
const pc = (...args: string[]) =>
  runPc([...args, ...(["build", "diff"].includes(args[0]!) ? ["--base-url", server.baseURL, "--retries", "0"] : [])], {
    cwd: root,
  });

async function logOf(prompt = A): Promise<Array<Record<string, any>>> {
  const run = await pc("log", prompt, "--json");
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout).generations;
}

/** The project's files that a read-only command must leave as they are. */
async function snapshot(): Promise<Record<string, string | undefined>> {
  return { lock: await readText(root, "promptfile.lock"), output: await readText(root, "generated/a.py") };
}

describe("pc diff", () => {
  it("takes the cached generation of the prompt's request without asking the model again or adding to pc log", async () => {
    root = (await makeProject({ [A]: a("Write a.") })).root;
    expect((await pc("build")).code).toBe(0);
    const before = await snapshot();
    const log = await logOf();
    const run = await pc("diff", A);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain(
      `compared with the cached generation ${log[0]!.id} (llm, test-model, seed 42, temperature 0) of ${A}: no model call; nothing written`,
    );
    expect(run.stderr).toContain("identical");
    expect(requests()).toBe(1);
    expect(await logOf()).toEqual(log);
    expect(await snapshot()).toEqual(before);
  });

  it("regenerates without writing when the prompt's request is not cached: exit 0 when the answer is the same", async () => {
    root = (await makeProject({ [A]: a("Write a.") })).root;
    expect((await pc("build")).code).toBe(0);
    await rm(path.join(root, ".pc"), { recursive: true });
    const before = await snapshot();
    const run = await pc("diff", A);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain("regenerated prompts/a.md (test-model, seed 42, temperature 0); nothing written");
    expect(requests()).toBe(2);
    expect((await logOf()).length).toBe(1);
    expect(await snapshot()).toEqual(before);
  });

  it("shows a unified diff for an override (exit 1), writes nothing, and a build with that pin restores it", async () => {
    root = (await makeProject({ [A]: a("Write a.") })).root;
    await pc("build");
    const before = await snapshot();
    const run = await pc("diff", "generated/a.py", "--seed", "7");
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^--- a\/generated\/a\.py\ton disk\n\+\+\+ b\/generated\/a\.py\tregenerated \(test-model, seed 7, temperature 0\)\n@@ /,
    );
    expect(run.stdout).toContain("\n-# model test-model seed 42 temperature 0\n");
    expect(run.stdout).toContain("\n+# model test-model seed 7 temperature 0\n");
    expect(server.chatRequests()[1]!.body.seed).toBe(7);
    expect(await snapshot()).toEqual(before);

    const log = await logOf();
    expect(log.map((g) => [g.seed, g.onDisk])).toEqual([
      [7, false],
      [42, true],
    ]);
    // The same override again: the cached generation, no second request, no duplicate in pc log.
    expect((await pc("diff", A, "--seed", "7")).code).toBe(1);
    expect(requests()).toBe(2);
    expect(await logOf()).toEqual(log);
    await writeFiles(root, { [A]: a("Write a.", { seed: 7 }) });
    const build = await pc("build", "--json");
    expect(JSON.parse(build.stdout).prompts[0].outcome).toBe("cached");
    expect(requests()).toBe(2);
  });

  it("--cached compares the two newest generations without a model call", async () => {
    root = (await makeProject({ [A]: a("Version one.") })).root;
    await pc("build");
    expect((await pc("diff", A, "--cached")).code).toBe(2);
    await writeFiles(root, { [A]: a("Version two.") });
    await pc("build");
    const [newest, older] = await logOf();
    const run = await pc("diff", A, "--cached");
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(
      `--- a/generated/a.py\tgeneration ${older!.id} (llm, test-model, seed 42, temperature 0)`,
    );
    expect(run.stdout).toContain(
      `+++ b/generated/a.py\tgeneration ${newest!.id} (llm, test-model, seed 42, temperature 0)`,
    );
    expect(requests()).toBe(2);
  });

  it("--against compares a generation from pc log with the files on disk", async () => {
    root = (await makeProject({ [A]: a("Version one.") })).root;
    await pc("build");
    await writeFiles(root, { [A]: a("Version two.") });
    await pc("build");
    const [current, older] = await logOf();
    expect((await pc("diff", A, "--against", current!.id)).code).toBe(0);
    const run = await pc("diff", A, "--against", older!.id.slice(0, 6));
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("+++ b/generated/a.py\ton disk");
    const missing = await pc("diff", A, "--against", "zzzzzz");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no generation "zzzzzz" of this prompt in the cache');
    expect(missing.stderr).toContain(`pc log ${A}`);
    expect(requests()).toBe(2);
  });

  it("exits 2 on trouble: a failed regeneration, overrides with --cached, an unknown prompt", async () => {
    root = (await makeProject({ [A]: a("Write a.") })).root;
    await pc("build");
    await writeFiles(root, { [A]: a("Write a again.") }); // a request the cache does not hold
    server.fail({ status: 500 });
    const failed = await pc("diff", A);
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain("prompts/a.md");
    expect((await pc("diff", A, "--cached", "--seed", "3")).code).toBe(2);
    const unknown = await pc("diff", "prompts/nope.md");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no prompt matches "prompts/nope.md"');
  });

  it("colours removals red, additions green and hunks cyan (only when asked to)", () => {
    const patch = "--- a/x\ton disk\n+++ b/x\tnew\n@@ -1 +1 @@\n-old\n+new\n";
    expect(paint(patch, false)).toBe(patch);
    const painted = paint(patch, true);
    expect(painted).toContain("\x1b[31m-old\x1b[39m");
    expect(painted).toContain("\x1b[32m+new\x1b[39m");
    expect(painted).toContain("\x1b[36m@@ -1 +1 @@\x1b[39m");
  });
});

describe("pc log", () => {
  it("lists generations newest first with their pins, tokens, output hashes and which one is on disk", async () => {
    root = (await makeProject({ [A]: a("Version one.") })).root;
    await pc("build");
    const first = await readText(root, "generated/a.py");
    await writeFiles(root, { [A]: a("Version two.") });
    await pc("build");
    let log = await logOf("generated/a.py");
    expect(log).toHaveLength(2);
    expect(log[0]!.createdAt > log[1]!.createdAt).toBe(true);
    expect(log[0]).toMatchObject({ model: "test-model", seed: 42, temperature: 0, source: "llm", onDisk: true });
    expect(log[0]!.outputs).toEqual({ "generated/a.py": sha256((await readText(root, "generated/a.py"))!) });
    expect(log[0]!.usage.completionTokens).toBeGreaterThan(0);
    expect(log[1]!.outputs).toEqual({ "generated/a.py": sha256(first!) });
    expect(log[1]!.onDisk).toBe(false);

    // Reverting restores the older generation: it becomes the one on disk.
    await writeFiles(root, { [A]: a("Version one.") });
    await pc("build");
    log = await logOf();
    expect(log.map((g) => g.onDisk)).toEqual([false, true]);

    const human = await pc("log", A);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(
      new RegExp(
        `^\\*\\s+${log[1]!.id}\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\s+test-model\\s+42\\s+0\\s+llm\\s+\\d+\\+\\d+\\s+generated/a\\.py [0-9a-f]{8}$`,
        "m",
      ),
    );
  });

  it("still knows the generation on disk after the post-processing changed", async () => {
    server.setAnswer(() => fencedAnswer("export const x   =  1", "typescript"));
    root = (await makeProject({ [A]: promptFile({ output: "generated/a.ts", body: "Write a." }) })).root;
    await pc("build");
    await writeFiles(root, {
      [A]: promptFile({ output: "generated/a.ts", body: "Write a.", extra: ["format: false"] }),
    });
    await pc("build");
    expect(await readText(root, "generated/a.ts")).toBe("export const x   =  1\n");
    const log = await logOf();
    expect(log.map((g) => g.onDisk)).toEqual([true]);
    expect(requests()).toBe(1);
  });

  it("says so when the cache holds nothing for the prompt", async () => {
    root = (await makeProject({ [A]: a("Write a.") })).root;
    const run = await pc("log", A);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`No generations of ${A} in the cache`);
  });
});

describe("pc gc", () => {
  async function generationFiles(): Promise<string[]> {
    const dir = path.join(root, ".pc/generations");
    return (await readdir(dir, { recursive: true })).filter((f) => String(f).endsWith(".json")).map(String);
  }

  it("keeps N generations per prompt plus what the lock references, and reports what it freed", async () => {
    root = (
      await makeProject({ [A]: a("Version 1."), "prompts/b.md": promptFile({ output: "generated/b.py", body: "B." }) })
    ).root;
    for (let v = 1; v <= 4; v++) {
      await writeFiles(root, { [A]: a(`Version ${v}.`) });
      await pc("build");
    }
    // On disk and in the lock: version 2, restored from the cache.
    await writeFiles(root, { [A]: a("Version 2.") });
    await pc("build");
    expect(requests()).toBe(5);
    const before = await logOf();
    expect(before.map((g) => g.onDisk)).toEqual([false, false, true, false]);

    const dry = await pc("gc", "--keep", "1", "--dry-run", "--json");
    expect(JSON.parse(dry.stdout).removed).toHaveLength(2);
    expect(await generationFiles()).toHaveLength(5);

    const sizes = new Map<string, number>();
    for (const f of await generationFiles()) sizes.set(f, (await stat(path.join(root, ".pc/generations", f))).size);
    const run = await pc("gc", "--keep", "1", "--json");
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    // a keeps version 4 (its newest) and version 2 (the lock's); versions 1 and 3 go; b keeps its one.
    expect(report.removed.map((r: { id: string }) => r.id).sort()).toEqual([before[1]!.id, before[3]!.id].sort());
    expect(report).toMatchObject({ kept: 3, referenced: 2, damaged: [] });
    const removedBytes = report.removed.reduce(
      (sum: number, r: { file: string }) => sum + sizes.get(path.relative(".pc/generations", r.file))!,
      0,
    );
    expect(report.freedBytes).toBe(removedBytes);
    expect((await logOf()).map((g) => g.id)).toEqual([before[0]!.id, before[2]!.id]);

    // What was kept still restores with no request; what was removed needs the model again.
    await writeFiles(root, { [A]: a("Version 4.") });
    await pc("build");
    expect(requests()).toBe(5);
    await writeFiles(root, { [A]: a("Version 3.") });
    await pc("build");
    expect(requests()).toBe(6);
  });

  it("--keep 0 leaves only what the lock references, and removes unreadable entries", async () => {
    root = (await makeProject({ [A]: a("Version 1.") })).root;
    await pc("build");
    await writeFiles(root, { [A]: a("Version 2.") });
    await pc("build");
    const [current] = await logOf();
    await writeFiles(root, { ".pc/generations/ab/abab/cut.json": '{"id": "cut", "prompt": "prompts/a.md"' });
    const run = await pc("gc", "--keep", "0");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /^Removed 1 generation of 1 prompt and 1 unreadable entry, freed [\d.]+ (B|kB); kept 1 \(1 referenced by the lock, never removed\)\.\n$/,
    );
    expect((await logOf()).map((g) => [g.id, g.onDisk])).toEqual([[current!.id, true]]);
    await removeOutputAndRestore();
  });

  async function removeOutputAndRestore(): Promise<void> {
    await rm(path.join(root, "generated/a.py"));
    const restored = await pc("build", "--json");
    expect(JSON.parse(restored.stdout).prompts[0].outcome).toBe("cached");
  }
});
