// What a build decides before it asks for anything: which prompts a command-line path selects,
// what is built, forced, left as it is, and which lock entries of gone prompts are dropped.
import { mkdir } from "node:fs/promises";
import { hostname } from "node:os";
import { afterAll, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { log } from "../../src/commands/log.js";
import { makeProject, cleanupProjects, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn, outcomes } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);

/** a; b reads a's output; c alone, in a subfolder of prompts/. */
const tree = () => ({
  "prompts/a.md": promptFile({ output: "generated/a.py" }),
  "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"] }),
  "prompts/sub/c.md": promptFile({ output: "generated/c.py" }),
});

async function built(): Promise<TempProject> {
  const project = await makeProject(tree());
  expect((await buildIn(project, server)).report.ok).toBe(true);
  server.reset();
  return project;
}

/** The prompts a dry run of these paths would build or report, by outcome. */
async function planned(project: TempProject, paths: string[], cwd = project.root) {
  const report = await build({ cwd, baseUrl: server.baseURL, dryRun: true, paths });
  return outcomes(report);
}

describe("selecting prompts by path", () => {
  it("takes a prompt file, one of its outputs, a folder (with or without /), or the project root", async () => {
    const project = await makeProject(tree());
    expect(await planned(project, ["prompts/sub/c.md"])).toEqual({ "prompts/sub/c.md": "planned" });
    expect(await planned(project, ["generated/c.py"])).toEqual({ "prompts/sub/c.md": "planned" });
    expect(await planned(project, ["prompts/sub"])).toEqual({ "prompts/sub/c.md": "planned" });
    expect(await planned(project, ["prompts/sub/"])).toEqual({ "prompts/sub/c.md": "planned" });
    expect(Object.keys(await planned(project, ["."])).sort()).toEqual([
      "prompts/a.md",
      "prompts/b.md",
      "prompts/sub/c.md",
    ]);
  });

  it("does not take a folder whose name only starts like the path", async () => {
    const project = await makeProject({ ...tree(), "prompts/subway/d.md": promptFile({ output: "generated/d.py" }) });
    expect(await planned(project, ["prompts/sub"])).toEqual({ "prompts/sub/c.md": "planned" });
  });

  it("adds what the selected prompts read, without forcing it", async () => {
    const project = await built();
    const { report } = await buildIn(project, server, { paths: ["prompts/b.md"], force: true, dryRun: true });
    expect(report.prompts.map((p) => [p.prompt, p.outcome, p.reasons])).toEqual([
      ["prompts/b.md", "planned", ["--force"]],
      ["prompts/a.md", "fresh", []],
    ]);
  });

  it("adds prompts that read each other's outputs once each, reporting the cycle", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py", context: ["generated/b.py"] }),
      "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"] }),
      "prompts/c.md": promptFile({ output: "generated/c.py", context: ["generated/a.py"] }),
    });
    const { report } = await buildIn(project, server, { paths: ["prompts/c.md"], dryRun: true });
    expect(report.prompts.map((p) => [p.prompt, p.outcome, p.error?.code])).toEqual([
      ["prompts/c.md", "planned", undefined],
      ["prompts/b.md", "failed", "PC_GRAPH_CYCLE"],
      ["prompts/a.md", "failed", "PC_GRAPH_CYCLE"],
    ]);
  });

  it("refuses a path that matches no prompt, listing known prompts; nothing is asked", async () => {
    const project = await makeProject(tree());
    const error = await build({ cwd: project.root, baseUrl: server.baseURL, paths: ["prompts/a.md", "nope.md"] }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: "PC_PROMPT_NOT_FOUND",
      message: 'no prompt matches "nope.md"',
      hint: "Give a prompt file (prompts/app.md), one of its outputs, or a folder of prompts. Known prompts: prompts/a.md, prompts/b.md, prompts/sub/c.md",
    });
    expect(server.requests).toHaveLength(0);
    const six = await makeProject(
      Object.fromEntries(
        [1, 2, 3, 4, 5, 6].map((n) => [`prompts/p${n}.md`, promptFile({ output: `generated/p${n}.py` })]),
      ),
    );
    await expect(build({ cwd: six.root, dryRun: true, paths: ["x.md"] })).rejects.toMatchObject({
      hint: expect.stringMatching(
        /Known prompts: prompts\/p1\.md, prompts\/p2\.md, prompts\/p3\.md, prompts\/p4\.md, prompts\/p5\.md$/,
      ),
    });
    const empty = await makeProject({});
    await expect(build({ cwd: empty.root, dryRun: true, paths: ["x.md"] })).rejects.toMatchObject({
      hint: expect.stringMatching(/Known prompts: none$/),
    });
  });

  it("names a prompt whose file is gone by its lock entry (its generations are still kept)", async () => {
    const project = await built();
    await project.remove("prompts/sub/c.md");
    const report = await log({ cwd: project.root, prompt: "prompts/sub/c.md" });
    expect(report.prompt).toBe("prompts/sub/c.md");
    expect(report.generations).toHaveLength(1);
  });

  it("pc log and pc diff take exactly one prompt, saying how many a path names", async () => {
    const project = await built();
    await expect(log({ cwd: project.root, prompt: "prompts" })).rejects.toMatchObject({
      code: "PC_USAGE",
      message: '"prompts" names 3 prompts; log takes one',
      hint: "Give one prompt file or one of its outputs, e.g. pc log prompts/a.md",
    });
  });
});

describe("what a build does with each state", () => {
  it("leaves drifted and fresh prompts alone, reports invalid ones as failed, and builds the rest", async () => {
    const project = await built();
    await project.write({
      "generated/c.py": "# mine\n",
      "prompts/d.md": promptFile({ output: "generated/d.py" }),
      "prompts/bad.md": "---\nversion: 1\n---\nno model\n",
    });
    await buildIn(project, server, { paths: ["prompts/d.md"] });
    await project.write({ "prompts/a.md": promptFile({ output: "generated/a.py", seed: 3 }) });
    server.reset();
    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({
      "prompts/a.md": "built",
      "prompts/b.md": "built",
      "prompts/bad.md": "failed",
      "prompts/d.md": "fresh",
      "prompts/sub/c.md": "drifted",
    });
    expect(report.prompts.find((p) => p.prompt === "prompts/bad.md")!.error!.code).toBe("PC_FRONTMATTER_INVALID");
    expect(report.prompts.find((p) => p.prompt === "prompts/sub/c.md")).toMatchObject({
      source: "llm",
      model: "test-model",
      reasons: [expect.stringMatching(/^generated\/c\.py was edited by hand/)],
    });
    expect(server.chatRequests()).toHaveLength(2);
  });

  it("--force builds a drifted prompt too, keeping its reasons", async () => {
    const project = await built();
    await project.write({ "generated/a.py": "# mine\n" });
    const { report } = await buildIn(project, server, { force: true, paths: ["prompts/a.md"], dryRun: true });
    expect(report.prompts[0]).toMatchObject({
      prompt: "prompts/a.md",
      outcome: "planned",
      reasons: [expect.stringMatching(/^generated\/a\.py was edited by hand/)],
    });
  });

  it("given an empty list of paths (pc build with no arguments), builds the whole project", async () => {
    const project = await built();
    await project.remove("prompts/sub/c.md");
    await project.write({ "prompts/a.md": promptFile({ output: "generated/a.py", seed: 3 }) });
    const { report } = await buildIn(project, server, { paths: [] });
    expect(outcomes(report)).toEqual({ "prompts/a.md": "built", "prompts/b.md": "built" });
    expect(report.dropped).toEqual([{ prompt: "prompts/sub/c.md", outputsKept: ["generated/c.py"] }]);
  });

  it("drops the lock entries of gone prompts only when building the whole project", async () => {
    const project = await built();
    await project.remove("prompts/sub/c.md");
    const some = await buildIn(project, server, { paths: ["prompts/a.md"] });
    expect(some.report.dropped).toEqual([]);
    expect(Object.keys((await project.lock()).prompts)).toContain("prompts/sub/c.md");

    const all = await buildIn(project, server);
    expect(all.report.dropped).toEqual([{ prompt: "prompts/sub/c.md", outputsKept: ["generated/c.py"] }]);
    expect(Object.keys((await project.lock()).prompts)).toEqual(["prompts/a.md", "prompts/b.md"]);
    expect(all.report.prompts.map((p) => p.prompt)).toEqual(["prompts/a.md", "prompts/b.md"]);
  });

  it("waits its turn while another build holds the project, unless it has nothing to do", async () => {
    const project = await built();
    await project.remove("prompts/sub/c.md");
    // A live pc process (this one) holds the project's build lock.
    await mkdir(project.path(".pc/build.lock"), { recursive: true });
    await project.write({ ".pc/build.owner": JSON.stringify({ pid: process.pid, host: hostname() }) });
    const lock = await project.read("promptfile.lock");
    const busy = {
      code: "PC_PROJECT_BUSY",
      message: `another pc process (pid ${process.pid}) is building this project`,
    };

    // A gone prompt's lock entry to drop: the lock is written.
    await expect(buildIn(project, server)).rejects.toMatchObject(busy);
    expect(await project.read("promptfile.lock")).toBe(lock);
    // Only prompts whose lock entries stay: nothing is written.
    const { report } = await buildIn(project, server, { paths: ["prompts/a.md", "prompts/b.md"] });
    expect(outcomes(report)).toEqual({ "prompts/a.md": "fresh", "prompts/b.md": "fresh" });
    // A hand edit to report, beside a fresh prompt.
    await project.write({ "generated/b.py": "# mine\n" });
    await expect(buildIn(project, server, { paths: ["prompts/a.md", "prompts/b.md"] })).rejects.toMatchObject(busy);
    // A prompt to build.
    await project.write({ "prompts/d.md": promptFile({ output: "generated/d.py" }) });
    await expect(buildIn(project, server, { paths: ["prompts/d.md"] })).rejects.toMatchObject(busy);
    expect(project.exists("generated/d.py")).toBe(false);
    expect(server.requests).toHaveLength(0);
  });

  it("with nothing to do writes nothing, not even the failure record", async () => {
    const project = await built();
    const before = await project.snapshot();
    const { report } = await buildIn(project, server);
    expect(report.ok).toBe(true);
    expect(outcomes(report)).toEqual({ "prompts/a.md": "fresh", "prompts/b.md": "fresh", "prompts/sub/c.md": "fresh" });
    expect(await project.snapshot()).toEqual(before);
    expect(project.exists(".pc/failures.json")).toBe(false);
  });
});
