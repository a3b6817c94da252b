// Running one prompt, step by step, as a user sees each step's result: the bytes of its outputs
// (and whether they were touched at all), its lock entry, and the outcome the build reports.
import { stat, utimes } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { status } from "../../src/commands/status.js";
import { defaultEngineFactory, type EngineFactory } from "../../src/engine/engine-factory.js";
import { multiFileAnswer } from "../support/openai-server.js";
import { makeProject, cleanupProjects, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn, outcomes } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);

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
