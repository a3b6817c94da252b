// Running one prompt, step by step, as a user sees each step's result: the bytes of its outputs
// (and whether they were touched at all), its lock entry, and the outcome the build reports.
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stat, utimes } from "node:fs/promises";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { accept } from "../../src/commands/accept.js";
import { CommitGate } from "../../src/util/commit-gate.js";
import { setBeforeRenameHook } from "../../src/util/fs.js";
import { repairLock } from "../../src/commands/lock-repair.js";
import { status } from "../../src/commands/status.js";
import { defaultEngineFactory, type EngineFactory } from "../../src/engine/engine-factory.js";
import { defaultAnswer, multiFileAnswer } from "../support/openai-server.js";
import { makeProject, cleanupProjects, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn, outcomes } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);
afterEach(() => setBeforeRenameHook(undefined));

/** A time well in the past (2001-09-09), given to files so that any rewrite shows in their mtime. */
const OLD = new Date(1_000_000_000_000);

async function mtime(project: TempProject, file: string): Promise<number> {
  return (await stat(project.path(file))).mtimeMs;
}

async function age(project: TempProject, ...files: string[]): Promise<void> {
  for (const file of files) await utimes(project.path(file), OLD, OLD);
}

/** The real engine, with a hook run once each answer has arrived (before pc writes anything). */
function onAnswer(hook: () => void): EngineFactory {
  return async (kind, settings) => {
    const engine = await defaultEngineFactory(kind, settings);
    return {
      kind: engine.kind,
      describe: engine.describe?.bind(engine),
      close: () => engine.close(),
      async generate(request, options) {
        const result = await engine.generate(request, options);
        hook();
        return result;
      },
    };
  };
}

describe("writing a prompt's outputs", () => {
  const pair = promptFile({ outputs: ["generated/a.py", "generated/b.py"] });

  it("does not rewrite an output whose bytes did not change (its mtime is kept), and still records it", async () => {
    server.setAnswer(multiFileAnswer({ "generated/a.py": "a = 1\n", "generated/b.py": "b = 1\n" }));
    const project = await makeProject({ "prompts/pair.md": pair });
    await buildIn(project, server);
    await age(project, "generated/a.py", "generated/b.py");
    const lockBefore = await project.lock();

    // A forced rebuild whose answer changes b only: a is left alone, b is replaced.
    server.setAnswer(multiFileAnswer({ "generated/a.py": "a = 1\n", "generated/b.py": "b = 2\n" }));
    const { report } = await buildIn(project, server, { force: true });

    expect(outcomes(report)).toEqual({ "prompts/pair.md": "built" });
    expect(await mtime(project, "generated/a.py")).toBe(OLD.getTime());
    expect(await mtime(project, "generated/b.py")).not.toBe(OLD.getTime());
    expect(await project.read("generated/b.py")).toBe("b = 2\n");
    const entry = (await project.lock()).prompts["prompts/pair.md"]!;
    expect(entry.outputs["generated/a.py"]).toBe(lockBefore.prompts["prompts/pair.md"]!.outputs["generated/a.py"]);
    expect(entry.outputs["generated/b.py"]).not.toBe(lockBefore.prompts["prompts/pair.md"]!.outputs["generated/b.py"]);
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
  });

  it("a forced rebuild with the very same answer touches no output and leaves the lock's bytes as they were", async () => {
    server.setAnswer(multiFileAnswer({ "generated/a.py": "a = 1\n", "generated/b.py": "b = 1\n" }));
    const project = await makeProject({ "prompts/pair.md": pair });
    await buildIn(project, server);
    await age(project, "generated/a.py", "generated/b.py", "promptfile.lock");
    const lockText = await project.read("promptfile.lock");

    const { report } = await buildIn(project, server, { force: true });

    expect(outcomes(report)).toEqual({ "prompts/pair.md": "built" });
    expect(server.chatRequests()).toHaveLength(2);
    expect(await mtime(project, "generated/a.py")).toBe(OLD.getTime());
    expect(await mtime(project, "generated/b.py")).toBe(OLD.getTime());
    // The entry records the duration of the new generation: only that may change.
    const { durationMs: _a, ...before } = JSON.parse(lockText).prompts["prompts/pair.md"];
    const { durationMs: _b, ...after } = (await project.lock()).prompts["prompts/pair.md"]!;
    expect(after).toEqual(before);
  });
});

describe("a prompt while it generates", () => {
  it("reports its progress: one event per streamed piece of the answer, counting them", async () => {
    const answer = "```python\nx = 1\n```\n"; // 20 characters: 5 pieces of 4
    server.setAnswer(answer);
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const { events } = await buildIn(project, server);
    const progress = events.filter((e) => e.type === "progress");
    expect(progress).toEqual(
      [1, 2, 3, 4, 5].map((tokens) => ({
        type: "progress",
        prompt: "prompts/p.md",
        tokens,
        elapsedMs: expect.any(Number),
      })),
    );
  });
});

describe("a prompt cancelled after its answer arrived", () => {
  it("keeps its previous outputs and lock entry; the answer stays in the cache and the next build restores it", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py", body: "First." }) });
    await buildIn(project, server);
    const before = await project.snapshot();
    await project.write({ "prompts/p.md": promptFile({ output: "generated/p.py", body: "Second." }) });
    const edited = await project.snapshot();
    server.reset();

    const controller = new AbortController();
    const { report } = await buildIn(project, server, {
      engineFactory: onAnswer(() => controller.abort("prompts/p.md was edited again")),
      promptSignal: () => controller.signal,
    });

    expect(server.chatRequests()).toHaveLength(1);
    expect(report.prompts).toEqual([
      expect.objectContaining({ outcome: "skipped", reasons: ["cancelled: prompts/p.md was edited again"] }),
    ]);
    expect(await project.snapshot()).toEqual(edited);
    expect(edited["generated/p.py"]).toBe(before["generated/p.py"]);
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("stale");

    // The answer was kept: the next build restores it, with no model call.
    server.reset();
    const next = await buildIn(project, server);
    expect(server.chatRequests()).toHaveLength(0);
    expect(outcomes(next.report)).toEqual({ "prompts/p.md": "cached" });
    expect(await project.read("generated/p.py")).not.toBe(before["generated/p.py"]);
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
  });

  it("names the reason the prompt was cancelled with (an Error's message), and is not recorded as failed", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const controller = new AbortController();
    const { report } = await buildIn(project, server, {
      engineFactory: onAnswer(() => controller.abort(new Error("superseded by a newer edit"))),
      promptSignal: () => controller.signal,
    });
    expect(report.prompts[0]).toMatchObject({ outcome: "skipped", reasons: ["cancelled: superseded by a newer edit"] });
    expect(project.exists("generated/p.py")).toBe(false);
    expect(project.exists("promptfile.lock")).toBe(false);
    expect((await status({ cwd: project.root })).prompts[0]).toMatchObject({
      state: "new",
      reasons: ["not built yet"],
    });
  });

  it("cancelled with a reason that is neither an Error nor text: says it was aborted", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const controller = new AbortController();
    const { report } = await buildIn(project, server, {
      engineFactory: onAnswer(() => controller.abort({ code: 42 })),
      promptSignal: () => controller.signal,
    });
    expect(report.prompts[0]).toMatchObject({ outcome: "skipped", reasons: ["cancelled: aborted"] });
  });

  it("a build interrupted as a whole after the answer arrived says interrupted, not cancelled", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const whole = new AbortController();
    const own = new AbortController();
    const { report } = await buildIn(project, server, {
      engineFactory: onAnswer(() => {
        own.abort("edited");
        whole.abort();
      }),
      signal: whole.signal,
      promptSignal: () => own.signal,
    });
    expect(report.prompts[0]).toMatchObject({ outcome: "skipped", reasons: ["interrupted"] });
    expect(project.exists("generated/p.py")).toBe(false);
  });
});

describe("a prompt whose run stops early", () => {
  it("cancelled while it generates: skipped with the reason, nothing written and nothing kept", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const controller = new AbortController();
    server.setAnswer((body) => {
      controller.abort("prompts/p.md was edited again");
      return defaultAnswer(body);
    });
    const { report } = await buildIn(project, server, { promptSignal: () => controller.signal, retries: 0 });
    expect(report.prompts[0]).toMatchObject({
      outcome: "skipped",
      reasons: ["cancelled: prompts/p.md was edited again"],
    });
    expect(project.exists("generated/p.py")).toBe(false);
    expect(project.exists("promptfile.lock")).toBe(false);

    // Nothing was cached: the next build asks the model.
    server.reset();
    server.setAnswer(defaultAnswer);
    expect(outcomes((await buildIn(project, server)).report)).toEqual({ "prompts/p.md": "built" });
    expect(server.chatRequests()).toHaveLength(1);
  });

  it("a build started already interrupted asks nothing, restores nothing and skips every prompt", async () => {
    const first = promptFile({ output: "generated/a.py", body: "First." });
    const project = await makeProject({
      "prompts/a.md": first,
      "prompts/b.md": promptFile({ output: "generated/b.py" }),
    });
    // a has a generation in the cache for its text: even that is not restored.
    await buildIn(project, server, { paths: ["prompts/a.md"] });
    await project.write({ "prompts/a.md": promptFile({ output: "generated/a.py", body: "Second." }) });
    await buildIn(project, server, { paths: ["prompts/a.md"] });
    await project.write({ "prompts/a.md": first });
    const lock = await project.read("promptfile.lock");
    const output = await project.read("generated/a.py");
    server.reset();

    const { report } = await buildIn(project, server, { signal: AbortSignal.abort() });
    expect(report.prompts.map((p) => [p.prompt, p.outcome, p.reasons])).toEqual([
      ["prompts/a.md", "skipped", ["interrupted"]],
      ["prompts/b.md", "skipped", ["interrupted"]],
    ]);
    expect(server.requests).toHaveLength(0);
    expect(await project.read("promptfile.lock")).toBe(lock);
    expect(await project.read("generated/a.py")).toBe(output);
  });

  it("interrupted while an earlier prompt generates: the prompts after it are skipped, the finished one recorded", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      "prompts/b.md": promptFile({ output: "generated/b.py" }),
    });
    const controller = new AbortController();
    const { report, events } = await buildIn(project, server, {
      signal: controller.signal,
      engineFactory: onAnswer(() => controller.abort()),
    });
    expect(events.filter((e) => e.type === "start").map((e) => e.type === "start" && e.prompt)).toEqual([
      "prompts/a.md",
    ]);
    // a's answer arrived before the interruption reached it: it is written and recorded; b never starts.
    expect(report.prompts.map((p) => [p.prompt, p.outcome])).toEqual([
      ["prompts/a.md", "built"],
      ["prompts/b.md", "skipped"],
    ]);
    expect(report.prompts[1]!.reasons).toEqual(["interrupted"]);
    expect(server.chatRequests()).toHaveLength(1);
    expect(Object.keys((await project.lock()).prompts)).toEqual(["prompts/a.md"]);
  });

  it("a failed dependency skips what reads it, and a skipped one what reads that, each naming why", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"] }),
      "prompts/c.md": promptFile({ output: "generated/c.py", context: ["generated/b.py"] }),
    });
    server.fail({ kind: "no-code" });
    const { report } = await buildIn(project, server);
    expect(
      report.prompts.map((p) => [p.prompt, p.outcome, p.outcome === "failed" ? p.error!.code : p.reasons]),
    ).toEqual([
      ["prompts/a.md", "failed", "PC_ANSWER_NO_CODE"],
      ["prompts/b.md", "skipped", ["dependency prompts/a.md failed"]],
      ["prompts/c.md", "skipped", ["dependency prompts/b.md was skipped"]],
    ]);
    expect(server.chatRequests()).toHaveLength(1);
    expect(project.exists("generated/b.py")).toBe(false);
  });
});

describe("a prompt that reads another prompt's output", () => {
  it("is fresh, with no model call, when that output was rebuilt with the very same bytes", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py", body: "First." }),
      "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"] }),
    });
    server.setAnswer((body) =>
      JSON.stringify(body.messages).includes("Write the file.") ? defaultAnswer(body) : "```python\na = 1\n```\n",
    );
    await buildIn(project, server);
    const b = await project.read("generated/b.py");
    await project.write({ "prompts/a.md": promptFile({ output: "generated/a.py", body: "Second." }) });
    server.reset();

    const { report, events } = await buildIn(project, server);
    expect(report.prompts.map((p) => [p.prompt, p.outcome, p.reasons])).toEqual([
      ["prompts/a.md", "built", ["prompts/a.md changed"]],
      ["prompts/b.md", "fresh", ["inputs unchanged after its dependencies were built"]],
    ]);
    expect(server.chatRequests()).toHaveLength(1);
    expect(events.filter((e) => e.type === "start").map((e) => e.type === "start" && e.prompt)).toEqual([
      "prompts/a.md",
    ]);
    expect(await project.read("generated/b.py")).toBe(b);
    expect((await status({ cwd: project.root })).prompts.map((p) => p.state)).toEqual(["fresh", "fresh"]);
  });

  it("is restored when one of its outputs is missing, though that output was rebuilt with the very same bytes", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py", body: "First." }),
      "prompts/b.md": promptFile({ outputs: ["generated/b.py", "generated/c.py"], context: ["generated/a.py"] }),
    });
    const pair = multiFileAnswer({ "generated/b.py": "b = 1\n", "generated/c.py": "c = 1\n" });
    server.setAnswer((body) =>
      JSON.stringify(body.messages).includes("generated/b.py") ? pair : "```python\na = 1\n```\n",
    );
    await buildIn(project, server);
    await project.remove("generated/c.py");
    await project.write({ "prompts/a.md": promptFile({ output: "generated/a.py", body: "Second." }) });
    server.reset();

    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/a.md": "built", "prompts/b.md": "cached" });
    expect(server.chatRequests()).toHaveLength(1);
    expect(await project.read("generated/c.py")).toBe("c = 1\n");
    expect((await status({ cwd: project.root })).prompts.map((p) => p.state)).toEqual(["fresh", "fresh"]);
  });
});

describe("an exit asked for (a second Ctrl-C) during a build", () => {
  it("before a prompt's outputs are written: nothing is written, and the answer stays in the cache", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const commits = new CommitGate();
    let exits = 0;
    const { report } = await buildIn(project, server, {
      commits,
      engineFactory: onAnswer(() => commits.exitAfterCommits(() => exits++)),
    });
    expect(exits).toBe(1);
    expect(report.prompts[0]).toMatchObject({ outcome: "skipped", reasons: ["interrupted"] });
    expect(project.exists("generated/p.py")).toBe(false);
    expect(project.exists("promptfile.lock")).toBe(false);

    server.reset();
    expect(outcomes((await buildIn(project, server)).report)).toEqual({ "prompts/p.md": "cached" });
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("while outputs are written: the exit waits until they are recorded in the lock", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const commits = new CommitGate();
    const recordedAtExit: boolean[] = [];
    setBeforeRenameHook((target) => {
      if (!target.endsWith("p.py")) return;
      commits.exitAfterCommits(() => recordedAtExit.push(project.exists("promptfile.lock")));
    });
    const { report } = await buildIn(project, server, { commits });
    expect(outcomes(report)).toEqual({ "prompts/p.md": "built" });
    expect(recordedAtExit).toEqual([true]);
    expect(Object.keys((await project.lock()).prompts)).toEqual(["prompts/p.md"]);
  });
});

describe("a prompt cancelled alone (pc watch) in a build that can also be interrupted", () => {
  it("while it generates: skipped with the reason, and its answer is not kept", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const whole = new AbortController();
    const own = new AbortController();
    server.setAnswer((body) => {
      own.abort("prompts/p.md was edited again");
      return defaultAnswer(body);
    });
    const { report } = await buildIn(project, server, {
      signal: whole.signal,
      promptSignal: () => own.signal,
      retries: 0,
    });
    expect(report.prompts[0]).toMatchObject({
      outcome: "skipped",
      reasons: ["cancelled: prompts/p.md was edited again"],
    });
    expect(project.exists("generated/p.py")).toBe(false);

    server.reset();
    server.setAnswer(defaultAnswer);
    expect(outcomes((await buildIn(project, server)).report)).toEqual({ "prompts/p.md": "built" });
    expect(server.chatRequests()).toHaveLength(1);
  });

  it("the whole build interrupted while it generates: skipped as interrupted, its answer not kept", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    const whole = new AbortController();
    const own = new AbortController();
    server.setAnswer((body) => {
      whole.abort();
      return defaultAnswer(body);
    });
    const { report } = await buildIn(project, server, {
      signal: whole.signal,
      promptSignal: () => own.signal,
      retries: 0,
    });
    expect(report.prompts[0]).toMatchObject({ outcome: "skipped", reasons: ["interrupted"] });
    expect(project.exists("generated/p.py")).toBe(false);

    server.reset();
    server.setAnswer(defaultAnswer);
    expect(outcomes((await buildIn(project, server)).report)).toEqual({ "prompts/p.md": "built" });
    expect(server.chatRequests()).toHaveLength(1);
  });
});

describe("asking the model again", () => {
  it("after a forced rebuild failed, the next build asks the model instead of taking the recorded answer as done", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    await buildIn(project, server);
    const built = await project.read("generated/p.py");
    server.fail({ kind: "no-code" });
    expect(outcomes((await buildIn(project, server, { force: true })).report)).toEqual({ "prompts/p.md": "failed" });
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("failed");

    server.reset();
    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/p.md": "built" });
    expect(server.chatRequests()).toHaveLength(1);
    expect(await project.read("generated/p.py")).toBe(built);
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
  });

  it("without the cache, a reverted prompt is generated again instead of restored", async () => {
    const first = promptFile({ output: "generated/p.py", body: "First." });
    const project = await makeProject({ "prompts/p.md": first });
    await buildIn(project, server);
    await project.write({ "prompts/p.md": promptFile({ output: "generated/p.py", body: "Second." }) });
    await buildIn(project, server);
    await project.write({ "prompts/p.md": first });
    server.reset();

    expect(outcomes((await buildIn(project, server, { cache: false })).report)).toEqual({ "prompts/p.md": "built" });
    expect(server.chatRequests()).toHaveLength(1);
    await project.write({ "prompts/p.md": promptFile({ output: "generated/p.py", body: "Second." }) });
    server.reset();
    const { report, events } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/p.md": "cached" });
    expect(server.chatRequests()).toHaveLength(0);
    expect(events.filter((e) => e.type === "start")).toEqual([
      { type: "start", prompt: "prompts/p.md", model: "test-model" },
    ]);
  });
});

describe("an output changed on disk while its prompt generated", () => {
  const edited = () => promptFile({ output: "generated/p.py", body: "Second." });

  async function built(): Promise<TempProject> {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py", body: "First." }) });
    server.setAnswer("```python\nx = 1\n```\n");
    await buildIn(project, server);
    await project.write({ "prompts/p.md": edited() });
    server.setAnswer("```python\nx = 2\n```\n");
    return project;
  }

  it("to the very bytes about to be written loses nothing: built and recorded", async () => {
    const project = await built();
    const { report } = await buildIn(project, server, {
      engineFactory: onAnswer(() => writeFileSync(project.path("generated/p.py"), "x = 2\n")),
    });
    expect(outcomes(report)).toEqual({ "prompts/p.md": "built" });
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
  });

  it("by hand is kept, and the prompt fails saying how to keep or replace the edit", async () => {
    const project = await built();
    const lock = await project.read("promptfile.lock");
    const { report } = await buildIn(project, server, {
      engineFactory: onAnswer(() => writeFileSync(project.path("generated/p.py"), "x = 'mine'\n")),
    });
    expect(report.prompts[0]!.error).toMatchObject({
      code: "PC_OUTPUT_DRIFTED",
      file: "prompts/p.md",
      message: "generated/p.py was edited by hand; it is not overwritten",
      hint: "Keep the edit with `pc accept`, or replace it with `pc build --force`.",
    });
    expect(await project.read("generated/p.py")).toBe("x = 'mine'\n");
    expect(await project.read("promptfile.lock")).toBe(lock);
    // --force replaces it.
    expect(outcomes((await buildIn(project, server, { force: true })).report)).toEqual({ "prompts/p.md": "built" });
    expect(await project.read("generated/p.py")).toBe("x = 2\n");
  });

  it("into a folder is not written into: the prompt fails naming the output", async () => {
    const project = await built();
    const { report } = await buildIn(project, server, {
      engineFactory: onAnswer(() => {
        rmSync(project.path("generated/p.py"));
        mkdirSync(project.path("generated/p.py"));
      }),
    });
    expect(report.prompts[0]!.error).toMatchObject({
      code: "PC_OUTPUT_CONFLICT",
      message: 'output "generated/p.py" is a folder, not a file',
    });
    expect(readdirSync(project.path("generated/p.py"))).toEqual([]);
  });
});

describe("an output's folder swapped for a symlink out of the project right before the write", () => {
  it("with --force: nothing is written outside, the prompt fails naming the output", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    await buildIn(project, server);
    server.setAnswer("```python\nx = 2\n```\n");
    const outside = mkdtempSync(path.join(tmpdir(), "pc-outside-"));
    try {
      setBeforeRenameHook((target) => {
        if (!target.endsWith("p.py") || project.exists("moved")) return;
        renameSync(project.path("generated"), project.path("moved"));
        symlinkSync(outside, project.path("generated"));
      });
      const { report } = await buildIn(project, server, { force: true });
      expect(report.prompts[0]!.error).toMatchObject({
        code: "PC_PATH_OUTSIDE_PROJECT",
        message: "generated/p.py was not written: its folder now leads outside the project (a symlink)",
      });
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("while a failed write is undone: the previous bytes are not put back outside", async () => {
    const pair = promptFile({ outputs: ["generated/a.py", "generated/b.py"] });
    server.setAnswer(multiFileAnswer({ "generated/a.py": "a = 1\n", "generated/b.py": "b = 1\n" }));
    const project = await makeProject({ "prompts/pair.md": pair });
    await buildIn(project, server);
    server.setAnswer(multiFileAnswer({ "generated/a.py": "a = 2\n", "generated/b.py": "b = 2\n" }));
    const outside = mkdtempSync(path.join(tmpdir(), "pc-outside-"));
    try {
      setBeforeRenameHook((target) => {
        if (!target.endsWith("b.py")) return;
        renameSync(project.path("generated"), project.path("moved"));
        symlinkSync(outside, project.path("generated"));
        throw Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
      });
      const { report } = await buildIn(project, server, { force: true });
      expect(report.prompts[0]!.error).toMatchObject({ code: "PC_WRITE_FAILED" });
      expect(readdirSync(outside)).toEqual([]);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

describe("an output a stopped build wrote and never recorded", () => {
  it("is pc's own write, not a hand edit: the next build replaces it after the prompt changed again", async () => {
    const version = (n: number) => promptFile({ output: "generated/p.py", body: `Write p, version ${n}.` });
    const project = await makeProject({ "prompts/p.md": version(1) });
    await buildIn(project, server);
    const recorded = await project.read("promptfile.lock");
    // Version 2 is written, then the lock is put back: a build stopped before recording it.
    await project.write({ "prompts/p.md": version(2) });
    await buildIn(project, server);
    const written = await project.read("generated/p.py");
    await project.write({ "promptfile.lock": recorded });
    await project.remove(".pc/lock-written");
    await project.write({ "prompts/p.md": version(3) });

    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/p.md": "built" });
    expect(await project.read("generated/p.py")).not.toBe(written);
    expect((await status({ cwd: project.root })).prompts[0]!.state).toBe("fresh");
  });
});

describe("an entry pc lock --repair marked stale (its output's bytes did not match)", () => {
  it("is restored from the cache by the next build, not taken for fresh", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    await buildIn(project, server);
    const built = await project.read("generated/p.py");
    await project.write({ "generated/p.py": "print('swapped in by a bad merge')\n" });
    await repairLock({ cwd: project.root, write: true });
    expect((await project.lock()).prompts["prompts/p.md"]!.stale).toMatch(/did not match the lock/);
    server.reset();

    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/p.md": "cached" });
    expect(server.chatRequests()).toHaveLength(0);
    expect(await project.read("generated/p.py")).toBe(built);
    expect((await project.lock()).prompts["prompts/p.md"]!.stale).toBeUndefined();
  });
});

describe("the drift check of pc accept", () => {
  it("takes an answer whose bytes are already on disk (nothing to lose), and refuses one that would replace a hand edit", async () => {
    const project = await makeProject({
      "prompts/p.md": promptFile({ output: "generated/p.py" }),
      "generated/p.py": "x = 1\n",
    });
    const same = await accept({ cwd: project.root, prompt: "prompts/p.md", answer: "```python\nx = 1\n```\n" });
    expect(same).toMatchObject({ source: "chat", written: [] });
    expect((await project.lock()).prompts["prompts/p.md"]!.source).toBe("chat");

    await project.write({ "generated/p.py": "x = 'mine'\n" });
    await expect(
      accept({ cwd: project.root, prompt: "prompts/p.md", answer: "```python\nx = 2\n```\n" }),
    ).rejects.toMatchObject({
      code: "PC_OUTPUT_DRIFTED",
      hint: "Keep the edit with `pc accept prompts/p.md` (no answer), or replace it with --force. Nothing was written.",
    });
    expect(await project.read("generated/p.py")).toBe("x = 'mine'\n");
  });
});
