import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { status } from "../../src/commands/status.js";
import { setBeforeRenameHook } from "../../src/util/fs.js";
import { type ChatCompletionBody, defaultAnswer, multiFileAnswer, requestHash } from "../support/openai-server.js";
import { type TempProject, makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn, outcomes, requestedOutputs, outputOf } from "../support/build.js";

const server = useTestServer();
afterEach(() => setBeforeRenameHook(undefined));
afterAll(cleanupProjects);

const asks = (output: string) => (body: ChatCompletionBody) => outputOf({ body } as never) === output;

/** a -> b (b reads a's output), and c on its own. */
async function builtChain(): Promise<TempProject> {
  const project = await makeProject({
    "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
    "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"], body: "Write b." }),
    "prompts/c.md": promptFile({ output: "generated/c.py", body: "Write c." }),
  });
  const { report } = await buildIn(project, server);
  expect(report.ok).toBe(true);
  server.reset();
  return project;
}

async function touchPrompt(project: TempProject, name: string, extra = "Again."): Promise<void> {
  const file = `prompts/${name}.md`;
  await project.write({ [file]: `${await project.read(file)}${extra}\n` });
}

async function statesOf(project: TempProject): Promise<Record<string, string>> {
  return Object.fromEntries((await status({ cwd: project.root })).prompts.map((p) => [p.prompt, p.state]));
}

describe("hand edits (drift)", () => {
  it("never overwrites a hand-edited output without --force; reports it and builds the rest", async () => {
    const project = await builtChain();
    await project.write({ "generated/c.py": "# my own fix\n" });
    await touchPrompt(project, "c");
    await touchPrompt(project, "a");
    const lockBefore = await project.lock();

    const { report } = await buildIn(project, server);

    expect(report.ok).toBe(false);
    expect(outcomes(report)).toEqual({ "prompts/a.md": "built", "prompts/b.md": "built", "prompts/c.md": "drifted" });
    expect(report.prompts.find((p) => p.prompt === "prompts/c.md")!.reasons[0]).toMatch(
      /generated\/c\.py was edited by hand/,
    );
    expect(requestedOutputs(server)).toEqual(["generated/a.py", "generated/b.py"]);
    expect(await project.read("generated/c.py")).toBe("# my own fix\n");
    expect((await project.lock()).prompts["prompts/c.md"]).toEqual(lockBefore.prompts["prompts/c.md"]);

    server.reset();
    const forced = await buildIn(project, server, { force: true, paths: ["prompts/c.md"] });
    expect(outcomes(forced.report)).toEqual({ "prompts/c.md": "built" });
    expect(await project.read("generated/c.py")).toMatch(/^# answer [0-9a-f]{16}\n/);
    expect(Object.values(await statesOf(project))).toEqual(["fresh", "fresh", "fresh"]);
  });

  it("does not overwrite a file the prompt never generated", async () => {
    const project = await makeProject({
      "generated/keep.py": "print('written by a person')\n",
      "prompts/keep.md": promptFile({ output: "generated/keep.py" }),
    });
    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/keep.md": "drifted" });
    expect(server.requests).toHaveLength(0);
    expect(await project.read("generated/keep.py")).toBe("print('written by a person')\n");
  });

  it("protects an output edited while its prompt was being generated", async () => {
    const project = await builtChain();
    await touchPrompt(project, "c");
    server.setAnswer(async (body) => {
      if (asks("generated/c.py")(body)) await project.write({ "generated/c.py": "# edited during the build\n" });
      return defaultAnswer(body);
    });
    const lockBefore = await project.lock();

    const { report } = await buildIn(project, server);

    const c = report.prompts.find((p) => p.prompt === "prompts/c.md")!;
    expect(c.outcome).toBe("failed");
    expect(c.error).toMatchObject({
      code: "PC_OUTPUT_DRIFTED",
      message: "generated/c.py was edited by hand; it is not overwritten",
    });
    expect(await project.read("generated/c.py")).toBe("# edited during the build\n");
    expect((await project.lock()).prompts["prompts/c.md"]).toEqual(lockBefore.prompts["prompts/c.md"]);
  });
});

describe("a build stopped between writing outputs and recording them", () => {
  // A process killed (or a machine losing power) inside that window leaves outputs the lock does not
  // vouch for. They are the cached generation's bytes, so they are recognised as pc's own writes.
  it("is recorded by the next build from the cache, with no model call, for a new prompt and for a changed one", async () => {
    const project = await builtChain();
    const lockAfterFirst = await project.read("promptfile.lock");
    await touchPrompt(project, "c");
    await project.write({ "prompts/d.md": promptFile({ output: "generated/d.py", body: "Write d." }) });
    expect((await buildIn(project, server)).report.ok).toBe(true);
    const built = { c: await project.read("generated/c.py"), d: await project.read("generated/d.py") };
    // As if the build had been stopped before its lock writes: outputs and cache written, lock not.
    await project.write({ "promptfile.lock": lockAfterFirst });
    server.reset();

    const states = await status({ cwd: project.root });
    const of = (p: string) => states.prompts.find((s) => s.prompt === p)!;
    expect([of("prompts/c.md").state, of("prompts/d.md").state]).toEqual(["stale", "new"]);
    expect(of("prompts/d.md").reasons).toEqual([
      expect.stringMatching(/generated\/d\.py was written by a build that was stopped before recording it/),
    ]);

    const { report } = await buildIn(project, server);
    expect(report.ok).toBe(true);
    expect(outcomes(report)).toMatchObject({ "prompts/c.md": "cached", "prompts/d.md": "cached" });
    expect(server.chatRequests()).toHaveLength(0);
    expect({ c: await project.read("generated/c.py"), d: await project.read("generated/d.py") }).toEqual(built);
    expect(await statesOf(project)).toMatchObject({ "prompts/c.md": "fresh", "prompts/d.md": "fresh" });
  });

  it("also when it stopped between two outputs of one prompt", async () => {
    const pairAnswer = (body: ChatCompletionBody) => {
      const tag = requestHash(body).slice(0, 8);
      return multiFileAnswer({ "generated/model.py": `# model ${tag}\n`, "generated/cli.py": `# cli ${tag}\n` });
    };
    const pairPrompt = (extra = "") =>
      promptFile({ outputs: ["generated/model.py", "generated/cli.py"], body: `Write both.${extra}` });
    server.setAnswer(pairAnswer);
    const project = await makeProject({ "prompts/pair.md": pairPrompt() });
    expect((await buildIn(project, server)).report.ok).toBe(true);
    const first = { lock: await project.read("promptfile.lock"), cli: await project.read("generated/cli.py") };
    await project.write({ "prompts/pair.md": pairPrompt(" Again.") });
    expect((await buildIn(project, server)).report.ok).toBe(true);
    const second = { model: await project.read("generated/model.py"), cli: await project.read("generated/cli.py") };
    // Stopped after model.py was replaced: cli.py still has the first build's bytes, the lock too.
    await project.write({ "promptfile.lock": first.lock });
    await project.write({ "generated/cli.py": first.cli });
    server.reset();

    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/pair.md": "cached" });
    expect(server.chatRequests()).toHaveLength(0);
    expect({ model: await project.read("generated/model.py"), cli: await project.read("generated/cli.py") }).toEqual(
      second,
    );
  });

  it("still protects a hand edit made to such an output", async () => {
    const project = await builtChain();
    const lockAfterFirst = await project.read("promptfile.lock");
    await touchPrompt(project, "c");
    expect((await buildIn(project, server)).report.ok).toBe(true);
    await project.write({ "promptfile.lock": lockAfterFirst });
    await project.write({ "generated/c.py": "# my own fix\n" });
    server.reset();

    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toMatchObject({ "prompts/c.md": "drifted" });
    expect(await project.read("generated/c.py")).toBe("# my own fix\n");
    expect(server.chatRequests()).toHaveLength(0);
  });
});

describe("a failed prompt", () => {
  it("does not stop the others; its dependents are skipped with the reason; its output and lock entry stay", async () => {
    const project = await builtChain();
    await touchPrompt(project, "a");
    await touchPrompt(project, "c");
    const before = await project.snapshot();
    const lockBefore = await project.lock();
    server.fail({ kind: "no-code" }, { when: asks("generated/a.py") });

    const { report } = await buildIn(project, server);

    expect(report.ok).toBe(false);
    expect(outcomes(report)).toEqual({ "prompts/a.md": "failed", "prompts/b.md": "skipped", "prompts/c.md": "built" });
    expect(report.prompts.find((p) => p.prompt === "prompts/b.md")!.reasons).toEqual([
      "dependency prompts/a.md failed",
    ]);
    // Independent prompts may be asked in either order; b, which depends on a, never.
    expect(requestedOutputs(server).sort()).toEqual(["generated/a.py", "generated/c.py"]);
    expect(await project.read("generated/a.py")).toBe(before["generated/a.py"]);
    expect(await project.read("generated/b.py")).toBe(before["generated/b.py"]);
    const lock = await project.lock();
    expect(lock.prompts["prompts/a.md"]).toEqual(lockBefore.prompts["prompts/a.md"]);
    expect(lock.prompts["prompts/b.md"]).toEqual(lockBefore.prompts["prompts/b.md"]);
    expect(lock.prompts["prompts/c.md"]).not.toEqual(lockBefore.prompts["prompts/c.md"]);
    expect(await statesOf(project)).toEqual({
      "prompts/a.md": "failed",
      "prompts/b.md": "stale",
      "prompts/c.md": "fresh",
    });

    // Once the model answers properly, the next build picks up exactly what is left.
    server.reset();
    const retry = await buildIn(project, server);
    expect(outcomes(retry.report)).toEqual({
      "prompts/a.md": "built",
      "prompts/b.md": "built",
      "prompts/c.md": "fresh",
    });
  });

  it("a server error that persists through every retry fails that prompt only", async () => {
    const project = await builtChain();
    await touchPrompt(project, "a");
    await touchPrompt(project, "c");
    server.fail({ status: 500 }, { when: asks("generated/a.py") });

    const { report } = await buildIn(project, server, { retries: 2 });

    expect(outcomes(report)).toEqual({ "prompts/a.md": "failed", "prompts/b.md": "skipped", "prompts/c.md": "built" });
    expect(requestedOutputs(server).filter((o) => o === "generated/a.py")).toHaveLength(3);
    expect(report.prompts[0]!.error!.message).toMatch(/server error 500/);
  });
});

describe("atomic writes", () => {
  /** Every output's content names its request, so a rebuild changes the bytes; other prompts get the default answer. */
  const pairAnswer = (body: ChatCompletionBody) => {
    if (!outputOf({ body } as Parameters<typeof outputOf>[0]).startsWith("generated/model.py"))
      return defaultAnswer(body);
    const tag = requestHash(body).slice(0, 8);
    return multiFileAnswer({ "generated/model.py": `# model ${tag}\n`, "generated/cli.py": `# cli ${tag}\n` });
  };
  const pairPrompt = (extra = "") =>
    promptFile({ outputs: ["generated/model.py", "generated/cli.py"], body: `Write both.${extra}` });

  async function tempFiles(root: string): Promise<string[]> {
    const names = await readdir(root, { recursive: true });
    return names.filter((n) => n.endsWith(".tmp"));
  }

  it("a failed write leaves every output of the prompt and the lock as they were, and no temp file", async () => {
    server.setAnswer(pairAnswer);
    const project = await makeProject({
      "prompts/pair.md": pairPrompt(),
      "prompts/c.md": promptFile({ output: "generated/c.py" }),
    });
    await buildIn(project, server);
    await project.write({ "prompts/pair.md": pairPrompt(" Again.") });
    await project.write({ "prompts/c.md": promptFile({ output: "generated/c.py", body: "Write c, again." }) });
    const before = await project.snapshot();
    // The second file of the prompt cannot be renamed into place: the first was already replaced.
    setBeforeRenameHook((target) => {
      if (target.endsWith(path.join("generated", "cli.py")))
        throw Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" });
    });

    const { report } = await buildIn(project, server);

    expect(outcomes(report)).toEqual({ "prompts/c.md": "built", "prompts/pair.md": "failed" });
    const error = report.prompts.find((p) => p.prompt === "prompts/pair.md")!.error!;
    expect(error).toMatchObject({
      code: "PC_WRITE_FAILED",
      message: "cannot write its outputs: EACCES: permission denied",
    });
    expect(error.hint).toBe("Make the folder writable; the previous outputs and the lock are unchanged.");
    const after = await project.snapshot();
    expect(after["generated/model.py"]).toBe(before["generated/model.py"]);
    expect(after["generated/cli.py"]).toBe(before["generated/cli.py"]);
    expect((await project.lock()).prompts["prompts/pair.md"]).toEqual(
      JSON.parse(before["promptfile.lock"]!).prompts["prompts/pair.md"],
    );
    expect(after["generated/c.py"]).not.toBe(before["generated/c.py"]);
    expect(await tempFiles(project.root)).toEqual([]);
  });

  it("when the lock cannot be written, the prompt fails and its new outputs are taken back", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      "prompts/c.md": promptFile({ output: "generated/c.py" }),
    });
    await buildIn(project, server);
    await touchPrompt(project, "a");
    const before = await project.snapshot();
    setBeforeRenameHook((target) => {
      if (target.endsWith("promptfile.lock"))
        throw Object.assign(new Error("EROFS: read-only file system"), { code: "EROFS" });
    });

    const { report } = await buildIn(project, server);

    expect(outcomes(report)).toEqual({ "prompts/a.md": "failed", "prompts/c.md": "fresh" });
    expect(report.prompts[0]!.error).toMatchObject({
      code: "PC_WRITE_FAILED",
      message: expect.stringContaining("cannot record its outputs in promptfile.lock, so they were put back"),
    });
    expect(await project.snapshot()).toEqual(before);
    expect(await tempFiles(project.root)).toEqual([]);

    // Nothing looks hand-edited afterwards: the next build just finishes the job.
    setBeforeRenameHook(undefined);
    expect((await statesOf(project))["prompts/a.md"]).toBe("failed");
    const next = await buildIn(project, server);
    expect(outcomes(next.report)).toEqual({ "prompts/a.md": "cached", "prompts/c.md": "fresh" });
  });

  it("with -j 4 and one failed lock write, every prompt is either recorded with its outputs or not written at all", async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 8; i++)
      files[`prompts/p${i}.md`] = promptFile({ output: `generated/p${i}.py`, body: `Write part ${i}.` });
    const project = await makeProject(files);
    let failures = 1;
    setBeforeRenameHook((target) => {
      if (target.endsWith("promptfile.lock") && failures-- > 0)
        throw Object.assign(new Error("EIO: i/o error"), { code: "EIO" });
    });

    const { report } = await buildIn(project, server, { jobs: 4 });

    const failed = report.prompts.filter((p) => p.outcome === "failed");
    expect(failed.length).toBeGreaterThan(0);
    expect(
      failed.every((p) =>
        p.error!.message.startsWith("cannot record its outputs in promptfile.lock, so they were put back: EIO"),
      ),
    ).toBe(true);
    expect(report.totals.built + failed.length).toBe(8);
    const lock = await project.lock();
    const onDisk = await project.snapshot();
    for (const p of report.prompts) {
      const output = p.outputs[0]!;
      if (p.outcome === "built") expect(lock.prompts[p.prompt]!.outputs[output]).toBeDefined();
      else expect([lock.prompts[p.prompt], onDisk[output]]).toEqual([undefined, undefined]);
    }
    expect(Object.values(await statesOf(project)).filter((s) => s === "fresh")).toHaveLength(report.totals.built);
  });

  it("an interrupted build keeps the prompts that finished, recorded in the lock", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      "prompts/b.md": promptFile({ output: "generated/b.py" }),
      "prompts/c.md": promptFile({ output: "generated/c.py" }),
    });
    const controller = new AbortController();
    const { report } = await buildIn(project, server, {
      signal: controller.signal,
      // Ctrl-C while b is being generated: a is finished, b is cut off, c has not started.
      onEvent: (event) => {
        if (event.type === "start" && event.prompt === "prompts/b.md") controller.abort();
      },
    });
    expect(outcomes(report)).toEqual({ "prompts/a.md": "built", "prompts/b.md": "skipped", "prompts/c.md": "skipped" });
    expect(report.prompts[1]!.reasons).toEqual(["interrupted"]);
    expect(Object.keys((await project.lock()).prompts)).toEqual(["prompts/a.md"]);
    expect(await statesOf(project)).toEqual({ "prompts/a.md": "fresh", "prompts/b.md": "new", "prompts/c.md": "new" });
  });
});
