import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { accept } from "../../src/commands/accept.js";
import { build } from "../../src/commands/build.js";
import { parseLock } from "../../src/lock/lockfile.js";
import { status } from "../../src/commands/status.js";
import type { PromptStatus } from "../../src/plan/states.js";
import { type FileTree, exists, type TempProject, makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { type ChatCompletionBody, defaultAnswer, multiFileAnswer, requestHash } from "../support/openai-server.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
afterEach(cleanupProjects);

/** Builds every buildable prompt of the project from the test server. */
async function buildAll(project: TempProject) {
  return build({ cwd: project.root, baseUrl: server.baseURL, retries: 0 });
}

/** A project built once, so every prompt starts fresh. */
async function builtProject(files: FileTree): Promise<TempProject> {
  const project = await makeProject(files);
  const report = await buildAll(project);
  expect(report.ok).toBe(true);
  return project;
}

async function states(project: TempProject): Promise<Record<string, PromptStatus>> {
  const report = await status({ cwd: project.root });
  return Object.fromEntries(report.prompts.map((p) => [p.prompt, p]));
}

const A = "prompts/a.md";
const B = "prompts/b.md";
const C = "prompts/c.md";

describe("prompt states", () => {
  it("new: a prompt with no lock entry and no output", async () => {
    const project = await makeProject({ [A]: promptFile({ output: "generated/a.py" }) });
    const s = (await states(project))[A];
    expect(s.state).toBe("new");
    expect(s.reasons).toEqual(["not built yet"]);
    expect(s.outputs).toEqual(["generated/a.py"]);
  });

  it("fresh: after a build, with the output hash of the bytes on disk in the lock", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    const s = (await states(project))[A];
    expect(s).toMatchObject({ state: "fresh", reasons: [], source: "llm" });
    const lock = parseLock(await project.read("promptfile.lock"));
    const bytes = await project.readBytes("generated/a.py");
    expect(lock.prompts[A].outputs["generated/a.py"]).toBe(
      `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    );
  });

  it("stays fresh when only a comment of the frontmatter changes", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({
      [A]: promptFile({ output: "generated/a.py", extra: "# reviewed in March\ndescription: The a script." }),
    });
    expect((await states(project))[A].state).toBe("fresh");
  });

  it.each([
    ["seed", { seed: 7 }, "seed changed: 42 -> 7"],
    ["temperature", { temperature: 0.5 }, "temperature changed: 0 -> 0.5"],
    ["model", { model: "other-model" }, 'model changed: "test-model" -> "other-model"'],
    ["version", { version: 2 }, "version changed: 1 -> 2"],
    ["body", { body: "Write it better." }, "prompts/a.md changed"],
  ])("stale: when its %s changes, saying so", async (_what, change, reason) => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({ [A]: promptFile({ output: "generated/a.py", ...change }) });
    const s = (await states(project))[A];
    expect(s.state).toBe("stale");
    expect(s.reasons).toContain(reason);
  });

  it("stale: when a context file, a partial or a file() read changes, naming the file", async () => {
    const project = await builtProject({
      [A]: promptFile({
        output: "generated/a.py",
        extra: "context: [src/types.py]",
        body: '<%~ include("_style") %>\n<%~ file("NOTES.md") %>',
      }),
      "src/types.py": "Id = str\n",
      "prompts/_style.md": "Tabs.\n",
      "NOTES.md": "Notes.\n",
    });
    await project.write({ "src/types.py": "Id = int\n" });
    expect((await states(project))[A]).toMatchObject({ state: "stale", reasons: ["input src/types.py changed"] });
    await project.write({ "prompts/_style.md": "Spaces.\n", "NOTES.md": "More notes.\n" });
    expect((await states(project))[A].reasons).toEqual([
      "input NOTES.md changed",
      "input prompts/_style.md changed",
      "input src/types.py changed",
    ]);
  });

  it("stale: when a new file matches a context glob", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py", extra: 'context: ["src/*.py"]' }),
      "src/one.py": "ONE = 1\n",
    });
    await project.write({ "src/two.py": "TWO = 2\n" });
    expect((await states(project))[A]).toMatchObject({ state: "stale", reasons: ["new input src/two.py"] });
  });

  it("stale: a prompt whose dependency is stale, even though none of its own files changed", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py", extra: "context: [generated/a.py]" }),
      [C]: promptFile({ output: "generated/c.py", extra: "context: [generated/b.py]" }),
    });
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 1 }) });
    const s = await states(project);
    expect(s[A].state).toBe("stale");
    expect(s[B]).toMatchObject({ state: "stale", reasons: ["depends on prompts/a.md (stale)"], dependsOn: [A] });
    expect(s[C]).toMatchObject({ state: "stale", reasons: ["depends on prompts/b.md (stale)"], dependsOn: [B] });
  });

  it("stale: a prompt whose dependency's output was rebuilt with other bytes", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py", extra: "context: [generated/a.py]" }),
    });
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 1 }) });
    await build({ cwd: project.root, baseUrl: server.baseURL, paths: [A] });
    const s = await states(project);
    expect(s[A].state).toBe("fresh");
    expect(s[B]).toMatchObject({ state: "stale", reasons: ["input generated/a.py changed"] });
  });

  it("missing: an output file was deleted, which a build restores", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    const bytes = await project.read("generated/a.py");
    await project.remove("generated/a.py");
    expect((await states(project))[A]).toMatchObject({ state: "missing", reasons: ["generated/a.py is missing"] });
    const dry = await build({ cwd: project.root, baseUrl: server.baseURL, dryRun: true });
    expect(dry.prompts.map((p) => [p.prompt, p.outcome, p.source])).toEqual([[A, "planned", "cache"]]);
    expect((await buildAll(project)).ok).toBe(true);
    expect(await project.read("generated/a.py")).toBe(bytes);
    expect((await states(project))[A]!.state).toBe("fresh");
  });

  it("drifted: an output was edited by hand", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({ "generated/a.py": `${await project.read("generated/a.py")}# my fix\n` });
    const s = (await states(project))[A];
    expect(s.state).toBe("drifted");
    expect(s.reasons[0]).toMatch(/^generated\/a\.py was edited by hand/);
  });

  it("drifted: one output of a two-output prompt edited by hand, the other still as built", async () => {
    server.setAnswer(
      multiFileAnswer({ "generated/model.py": "class Model: pass\n", "generated/cli.py": "import model\n" }),
    );
    const project = await builtProject({ [A]: promptFile({ outputs: ["generated/model.py", "generated/cli.py"] }) });
    await project.write({ "generated/cli.py": "# edited by hand\n" });
    const s = (await states(project))[A];
    expect(s.state).toBe("drifted");
    expect(s.reasons[0]).toBe(
      "generated/cli.py was edited by hand (pc accept keeps the edit, pc build --force regenerates)",
    );
  });

  it("drifted: an output file exists that this prompt never generated", async () => {
    const project = await makeProject({
      [A]: promptFile({ output: "generated/a.py" }),
      "generated/a.py": "print('mine')\n",
    });
    const s = (await states(project))[A];
    expect(s.state).toBe("drifted");
    expect(s.reasons[0]).toMatch(/^generated\/a\.py exists but was not generated by this prompt/);
  });

  it("orphaned: the prompt file is gone but its lock entry remains", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py" }),
    });
    await project.remove(A);
    const s = await states(project);
    expect(s[A]).toMatchObject({ state: "orphaned", outputs: ["generated/a.py"] });
    expect(s[A].reasons[0]).toMatch(/prompt file is gone/);
    expect(s[B].state).toBe("fresh");
  });

  it("failed: the last build of these inputs failed, until the prompt changes", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 5 }) });
    server.fail({ kind: "no-code" });
    expect((await buildAll(project)).ok).toBe(false);
    const failed = (await states(project))[A];
    expect(failed.state).toBe("failed");
    expect(failed.reasons[0]).toMatch(/^last build failed: /);
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 6 }) });
    expect((await states(project))[A].state).toBe("stale");
  });

  it("failed: also for a prompt whose very first build failed; the next build tries it again", async () => {
    const project = await makeProject({ [A]: promptFile({ output: "generated/a.py" }) });
    server.fail({ kind: "no-code" });
    expect((await buildAll(project)).ok).toBe(false);
    const s = (await states(project))[A];
    expect(s.state).toBe("failed");
    expect(s.reasons).toEqual([expect.stringMatching(/^last build failed: /), "not built yet"]);
    expect((await buildAll(project)).ok).toBe(true);
    expect((await states(project))[A]!.state).toBe("fresh");
  });

  it("invalid: a prompt that cannot be read is reported with its error, and the others still are", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({
      [B]: "---\nversion: 1\nmodel: [oops\n---\nBody\n",
      [C]: promptFile({ output: "generated/c.py", extra: "temprature: 1" }),
    });
    const s = await states(project);
    expect(s[A].state).toBe("fresh");
    expect(s[B].state).toBe("invalid");
    expect(s[B].reasons[0]).toMatch(/^prompts\/b\.md:\d+: frontmatter is not valid YAML/);
    expect(s[C].state).toBe("invalid");
    expect(s[C].reasons[0]).toMatch(/did you mean "temperature"/);
  });

  it("reports prompts in dependency order, then orphaned entries", async () => {
    const project = await builtProject({
      "prompts/z-base.md": promptFile({ output: "generated/base.py" }),
      [A]: promptFile({ output: "generated/a.py", extra: "context: [generated/base.py]" }),
      "prompts/gone.md": promptFile({ output: "generated/gone.py" }),
    });
    await project.remove("prompts/gone.md");
    const report = await status({ cwd: project.root });
    expect(report.prompts.map((p) => [p.prompt, p.state])).toEqual([
      ["prompts/z-base.md", "fresh"],
      [A, "fresh"],
      ["prompts/gone.md", "orphaned"],
    ]);
  });
});

/** Rewrites the prompt's lock entry (as a merge or `pc lock --repair` would leave it). */
async function editEntry(project: TempProject, prompt: string, edit: (entry: Record<string, any>) => void) {
  const lock = await project.lock();
  edit(lock.prompts[prompt]!);
  await project.write({ "promptfile.lock": `${JSON.stringify(lock, null, 2)}\n` });
}

describe("the reasons pc status gives", () => {
  it("orphaned: says whether the outputs are kept (naming them) or gone too, with what it recorded", async () => {
    server.setAnswer((body) => {
      const messages = JSON.stringify(body.messages);
      if (messages.includes("generated/a1.py"))
        return multiFileAnswer({ "generated/a1.py": "a = 1\n", "generated/a2.py": "a = 2\n" });
      if (messages.includes("generated/c1.py"))
        return multiFileAnswer({ "generated/c1.py": "c = 1\n", "generated/c2.py": "c = 2\n" });
      return defaultAnswer(body);
    });
    const project = await builtProject({
      [A]: promptFile({ outputs: ["generated/a1.py", "generated/a2.py"] }),
      [B]: promptFile({ output: "generated/b.py" }),
      [C]: promptFile({ outputs: ["generated/c1.py", "generated/c2.py"] }),
    });
    await project.remove(A);
    await project.remove(B);
    await project.remove(C);
    await project.remove("generated/a1.py");
    await project.remove("generated/b.py");
    const s = await states(project);
    expect(s[A]).toMatchObject({
      state: "orphaned",
      outputs: ["generated/a1.py", "generated/a2.py"],
      source: "llm",
      model: "test-model",
      dependsOn: [],
      reasons: [
        "the prompt file is gone and its outputs are kept (generated/a2.py: delete them if they are no longer wanted); `pc build` drops its lock entry (or restore the prompt: git checkout -- prompts/a.md)",
      ],
    });
    expect(s[A].durationMs).toEqual(expect.any(Number));
    expect(s[B]!.reasons).toEqual([
      "the prompt file is gone and its outputs are gone too; `pc build` drops its lock entry (or restore the prompt: git checkout -- prompts/b.md)",
    ]);
    expect(s[C]!.reasons[0]).toMatch(
      /^the prompt file is gone and its outputs are kept \(generated\/c1\.py, generated\/c2\.py: delete them/,
    );
    // Listed by prompt path, whatever the order of the lock's entries (a hand-merged lock).
    const lock = await project.lock();
    lock.prompts = { [B]: lock.prompts[B]!, [C]: lock.prompts[C]!, [A]: lock.prompts[A]! };
    await project.write({ "promptfile.lock": `${JSON.stringify(lock, null, 2)}\n` });
    expect((await status({ cwd: project.root })).prompts.map((p) => p.prompt)).toEqual([A, B, C]);
  });

  it("a prompt excluded in pc.config.json is not orphaned: its entry waits for it to be built again", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py" }),
    });
    await project.write({ "pc.config.json": JSON.stringify({ exclude: [B] }) });
    const report = await status({ cwd: project.root });
    expect(report.prompts.map((p) => [p.prompt, p.state])).toEqual([[A, "fresh"]]);
  });

  it("missing comes after drifted: a hand edit is named first, the missing file after it", async () => {
    server.setAnswer(multiFileAnswer({ "generated/x.py": "x = 1\n", "generated/y.py": "y = 1\n" }));
    const project = await builtProject({ [A]: promptFile({ outputs: ["generated/x.py", "generated/y.py"] }) });
    await project.write({ "generated/x.py": "x = 2\n" });
    await project.remove("generated/y.py");
    expect((await states(project))[A]).toMatchObject({
      state: "drifted",
      reasons: ["generated/x.py was edited by hand (pc accept keeps the edit, pc build --force regenerates)"],
    });
    await project.write({ "generated/x.py": "x = 1\n" });
    expect((await states(project))[A]).toMatchObject({ state: "missing", reasons: ["generated/y.py is missing"] });
  });

  it("a drifted or missing prompt whose inputs changed too gives both reasons", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 3 }) });
    await project.remove("generated/a.py");
    expect((await states(project))[A]).toMatchObject({
      state: "missing",
      reasons: ["generated/a.py is missing", "seed changed: 42 -> 3", "prompts/a.md changed"],
    });
  });

  it("stale: what `pc lock --repair` found is the first reason, even when nothing else changed", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await editEntry(project, A, (e) => (e.stale = "generated/a.py did not match the lock"));
    expect((await states(project))[A]).toMatchObject({
      state: "stale",
      reasons: ["generated/a.py did not match the lock"],
    });
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 3 }) });
    expect((await states(project))[A]!.reasons).toEqual([
      "generated/a.py did not match the lock",
      "seed changed: 42 -> 3",
      "prompts/a.md changed",
    ]);
  });

  it("stale: a context file no longer read is named as removed", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py", context: ["src/one.py", "src/two.py"] }),
      "src/one.py": "ONE = 1\n",
      "src/two.py": "TWO = 2\n",
    });
    await project.write({ [A]: promptFile({ output: "generated/a.py", context: ["src/one.py"] }) });
    expect((await states(project))[A]).toMatchObject({
      state: "stale",
      reasons: ["prompts/a.md changed", "input src/two.py removed"],
    });
  });

  it("stale: a sampler pinned, changed or unpinned is named with its old and new value", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py", top_k: 40 }) });
    await project.write({ [A]: promptFile({ output: "generated/a.py", top_k: 20, min_p: 0.1 }) });
    expect((await states(project))[A]!.reasons).toEqual([
      "prompts/a.md changed",
      "sampler min_p changed: 0 -> 0.1",
      "sampler top_k changed: 40 -> 20",
    ]);
    await project.write({ [A]: promptFile({ output: "generated/a.py", max_tokens: 100, top_k: 30 }) });
    expect((await states(project))[A]!.reasons).toEqual([
      "prompts/a.md changed",
      "sampler max_tokens changed: (unset) -> 100",
      "sampler top_k changed: 40 -> 30",
    ]);
    expect((await buildAll(project)).ok).toBe(true);
    await project.write({ [A]: promptFile({ output: "generated/a.py", top_k: 30 }) });
    expect((await states(project))[A]!.reasons).toEqual([
      "prompts/a.md changed",
      "sampler max_tokens changed: 100 -> (unset)",
    ]);
  });

  it("stale: a changed prompt recorded before pc pinned every sampler names what changed, not the samplers", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await editEntry(project, A, (e) => delete e.sampling);
    await project.write({ [A]: promptFile({ output: "generated/a.py", seed: 3 }) });
    expect((await states(project))[A]).toMatchObject({
      state: "stale",
      reasons: ["seed changed: 42 -> 3", "prompts/a.md changed"],
    });
  });

  it("stale: an entry whose request changed with no input named says so; one from another pc says that", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    const prompt = await project.read(A);
    // Recorded under another answer protocol, with the same inputs and pins.
    await editEntry(project, A, (e) => {
      e.inputHash = `sha256:${"0".repeat(64)}`;
      e.protocol = 0;
    });
    expect((await states(project))[A]).toMatchObject({ state: "stale", reasons: ["rendered prompt or pins changed"] });
    await editEntry(project, A, (e) => delete e.protocol);
    expect((await states(project))[A]).toMatchObject({
      state: "stale",
      reasons: ["lock entry is from another pc version"],
    });
    await editEntry(project, A, (e) => {
      e.protocol = 1;
      delete e.requestHash;
    });
    expect((await states(project))[A]!.reasons).toEqual(["lock entry is from another pc version"]);
    expect(await project.read(A)).toBe(prompt);
  });

  it("new: a prompt waiting for another prompt's output says which", async () => {
    const project = await makeProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py", context: ["generated/*.py"] }),
    });
    const s = await states(project);
    expect(s[B]).toMatchObject({
      state: "new",
      dependsOn: [A],
      reasons: ["not built yet", "depends on prompts/a.md (new)"],
    });
  });

  it("new: a prompt that reads another prompt's output by its path waits for it; its own missing output is an error", async () => {
    const project = await makeProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py", context: ["generated/a.py"] }),
      [C]: promptFile({ output: "generated/c.py", context: ["generated/c.py"] }),
    });
    const s = await states(project);
    expect(s[B]).toMatchObject({
      state: "new",
      dependsOn: [A],
      reasons: ["not built yet", "depends on prompts/a.md (new)"],
    });
    expect(s[C]).toMatchObject({ state: "invalid", error: { code: "PC_FILE_UNREADABLE" } });
    expect(s[C]!.reasons[0]).toContain('"generated/c.py" does not exist');
  });

  it("invalid: a context glob that matches only the prompt's own output, not built yet, matches nothing", async () => {
    const project = await makeProject({ [A]: promptFile({ output: "generated/a.py", context: ["generated/*.py"] }) });
    const s = (await states(project))[A]!;
    expect(s).toMatchObject({ state: "invalid", dependsOn: [], error: { code: "PC_CONTEXT_EMPTY" } });
  });

  it("a built prompt waiting for another's output gives that as its reason, and keeps a hand edit drifted", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py", context: ["generated/a.py"] }),
      [C]: promptFile({ output: "out/c.py", context: ["lib/*.py"] }),
      "lib/x.py": "X = 1\n",
    });
    await project.remove("generated/a.py");
    // A new prompt writes a file that C's glob will match: C, changed, waits for it.
    await project.write({
      "prompts/n.md": promptFile({ output: "lib/n.py" }),
      [C]: promptFile({ output: "out/c.py", context: ["lib/*.py"], body: "Write c." }),
    });
    const s = await states(project);
    expect(s[A]).toMatchObject({ state: "missing", reasons: ["generated/a.py is missing"] });
    expect(s[B]).toMatchObject({ state: "stale", reasons: ["depends on prompts/a.md (missing)"] });
    expect(s[C]).toMatchObject({
      state: "stale",
      dependsOn: ["prompts/n.md"],
      reasons: ["depends on prompts/n.md (new)"],
    });
    await project.write({ "generated/b.py": "# mine\n" });
    expect((await states(project))[B]).toMatchObject({
      state: "drifted",
      reasons: [
        "generated/b.py was edited by hand (pc accept keeps the edit, pc build --force regenerates)",
        "depends on prompts/a.md (missing)",
      ],
    });
  });

  it("failed: the failure is the first reason, before any other", async () => {
    const project = await builtProject({
      [A]: promptFile({ output: "generated/a.py" }),
      [B]: promptFile({ output: "generated/b.py", context: ["generated/a.py"] }),
    });
    await project.write({ [B]: promptFile({ output: "generated/b.py", context: ["generated/a.py"], seed: 2 }) });
    server.fail({ kind: "no-code" });
    expect((await buildAll(project)).ok).toBe(false);
    const s = await states(project);
    expect(s[B]!.state).toBe("failed");
    expect(s[B]!.reasons[0]).toMatch(
      /^last build failed: model "test-model" at \S+: the answer has no usable code block/,
    );
    expect(s[B]!.reasons.slice(1)).toEqual(["seed changed: 42 -> 2", "prompts/b.md changed"]);
  });

  it("invalid: an output that is a folder cannot be built until it is a file", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.remove("generated/a.py");
    await project.write({ "generated/a.py/inner.txt": "x\n" });
    const s = (await states(project))[A]!;
    expect(s.state).toBe("invalid");
    expect(s.error).toMatchObject({ code: "PC_OUTPUT_CONFLICT", key: "output" });
    expect(s.reasons[0]).toBe(
      'prompts/a.md: output "generated/a.py" is not a regular file of the project (a folder, a device, or a symlink out of it)\n  Move it away (an output is one file the prompt writes), then build again.',
    );
  });
});

describe("outputs a build wrote and was stopped before recording", () => {
  const STOPPED =
    "was written by a build that was stopped before recording it (it is the cached generation; no model call)";
  const EARLIER =
    "was written by an earlier build that was stopped before recording it (kept in the cache); it is regenerated";
  /** Two outputs whose bytes tell the request apart. */
  const pairAnswer = (body: ChatCompletionBody) => {
    const tag = requestHash(body).slice(0, 8);
    return multiFileAnswer({ "generated/model.py": `# model ${tag}\n`, "generated/cli.py": `# cli ${tag}\n` });
  };
  const pair = (body: string) => promptFile({ outputs: ["generated/model.py", "generated/cli.py"], body });

  it("names the output written, not the one still as recorded; after a change, it is regenerated; a hand edit stays drifted", async () => {
    server.setAnswer(pairAnswer);
    const project = await builtProject({ [A]: pair("Write both.") });
    const first = { lock: await project.read("promptfile.lock"), cli: await project.read("generated/cli.py") };
    await project.write({ [A]: pair("Write both again.") });
    expect((await buildAll(project)).ok).toBe(true);
    // Stopped after model.py was replaced: cli.py and the lock are as the first build left them.
    await project.write({ "promptfile.lock": first.lock, "generated/cli.py": first.cli });
    expect((await states(project))[A]).toMatchObject({
      state: "stale",
      reasons: [`generated/model.py ${STOPPED}`],
    });

    // The prompt changed since: that generation is not its request's, but pc wrote it all the same.
    await project.write({ [A]: pair("Write both, a third time.") });
    expect((await states(project))[A]).toMatchObject({
      state: "stale",
      reasons: [`generated/model.py ${EARLIER}`, "prompts/a.md changed"],
    });

    await project.write({ "generated/cli.py": "# edited by hand\n" });
    expect((await states(project))[A]).toMatchObject({
      state: "drifted",
      reasons: [
        "generated/model.py was edited by hand (pc accept keeps the edit, pc build --force regenerates)",
        "generated/cli.py was edited by hand (pc accept keeps the edit, pc build --force regenerates)",
        "prompts/a.md changed",
      ],
    });
  });

  it("both outputs written by a stopped build: a dry run restores them from the cache; after a change, both are regenerated", async () => {
    server.setAnswer(pairAnswer);
    const project = await builtProject({ [A]: pair("Write both.") });
    const lock = await project.read("promptfile.lock");
    await project.write({ [A]: pair("Write both again.") });
    expect((await buildAll(project)).ok).toBe(true);
    // Stopped after both outputs were written and cached, before the lock and the earlier entries were.
    await project.write({ "promptfile.lock": lock });
    await project.remove(".pc/entries");
    expect((await states(project))[A]).toMatchObject({
      state: "stale",
      reasons: [`generated/model.py ${STOPPED}`, `generated/cli.py ${STOPPED}`],
    });
    const dry = await build({ cwd: project.root, baseUrl: server.baseURL, dryRun: true });
    expect(dry.prompts.map((p) => [p.prompt, p.outcome, p.source, p.reasons.at(-1)])).toEqual([
      [A, "planned", "cache", "restores from the cache (no model call)"],
    ]);

    await project.write({ [A]: pair("Write both, a third time.") });
    expect((await states(project))[A]).toMatchObject({
      state: "stale",
      reasons: [`generated/model.py ${EARLIER}`, `generated/cli.py ${EARLIER}`, "prompts/a.md changed"],
    });
  });

  it("a new prompt built but not recorded is new, for its request's generation and for an earlier one", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    const lock = await project.read("promptfile.lock");
    await project.write({ [B]: promptFile({ output: "generated/b.py" }) });
    expect((await buildAll(project)).ok).toBe(true);
    await project.write({ "promptfile.lock": lock });
    expect((await states(project))[B]).toMatchObject({ state: "new", reasons: [`generated/b.py ${STOPPED}`] });
    await project.write({ [B]: promptFile({ output: "generated/b.py", seed: 7 }) });
    expect((await states(project))[B]).toMatchObject({ state: "new", reasons: [`generated/b.py ${EARLIER}`] });
  });
});

describe("what pc status shows of each prompt besides its state", () => {
  it("what its lock entry recorded (source, label, duration, checks), and the model it pins", async () => {
    const project = await builtProject({ [A]: promptFile({ output: "generated/a.py" }) });
    await project.write({ [B]: promptFile({ output: "generated/b.txt" }) });
    await accept({ cwd: project.root, prompt: B, answer: "```\nb\n```\n", label: "chat ui" });
    const checks = { passed: true, durationMs: 12 };
    // The model recorded, not the one pinned, is shown while the prompt is unchanged (it is not parsed).
    await editEntry(project, A, (e) => Object.assign(e, { checks, model: "recorded-model" }));
    const s = await states(project);
    expect(s[A]).toMatchObject({ state: "fresh", source: "llm", model: "recorded-model", checks });
    expect(s[A]!.durationMs).toEqual(expect.any(Number));
    expect(s[B]).toMatchObject({ state: "fresh", source: "chat", label: "chat ui", model: "test-model" });
    expect(s[B]!.durationMs).toBeUndefined();

    await project.write({ [A]: promptFile({ output: "generated/a.py", model: "other-model" }) });
    expect((await states(project))[A]).toMatchObject({ state: "stale", source: "llm", model: "other-model", checks });
  });
});
