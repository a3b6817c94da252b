// Commands about one prompt (pc diff, pc log) render it as the files are now, with pins overridden
// on the command line and never written to the prompt file.
import { afterAll, describe, expect, it } from "vitest";
import { diff } from "../../src/commands/diff.js";
import { runChecks } from "../../src/commands/run-checks.js";
import { status } from "../../src/commands/status.js";
import { cleanupProjects, makeProject, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);

async function built(): Promise<TempProject> {
  const project = await makeProject({
    "prompts/a.md": promptFile({ output: "generated/a.py" }),
    "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"] }),
  });
  await buildIn(project, server);
  server.reset();
  return project;
}

describe("pc diff with other pins", () => {
  it.each([
    ["seed", { seed: 7 }, { seed: 7, temperature: 0, model: "test-model" }],
    ["temperature", { temperature: 0.5 }, { seed: 42, temperature: 0.5, model: "test-model" }],
    ["model", { model: "other-model" }, { seed: 42, temperature: 0, model: "other-model" }],
  ])("asks the model with the %s given, leaving the prompt file and outputs as they are", async (_pin, pins, sent) => {
    const project = await built();
    const before = await project.snapshot();
    const result = await diff({ cwd: project.root, prompt: "prompts/b.md", baseUrl: server.baseURL, ...pins });
    expect(result.prompt).toBe("prompts/b.md");
    const [request] = server.chatRequests();
    expect(request!.body).toMatchObject(sent);
    // The prompt reads a's output: the request carries its bytes as they are now.
    expect(JSON.stringify(request!.body.messages)).toContain(JSON.stringify(before["generated/a.py"]!).slice(1, -1));
    expect(await project.snapshot()).toEqual(before);
  });

  it("without other pins, restores the generation of the prompt's request from the cache: no model call, identical", async () => {
    const project = await built();
    const result = await diff({ cwd: project.root, prompt: "prompts/b.md", baseUrl: server.baseURL });
    expect(result).toMatchObject({ identical: true, restored: true });
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("of a prompt that reads an output not built yet says which prompt to build first", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"] }),
    });
    await expect(
      diff({ cwd: project.root, prompt: "prompts/b.md", baseUrl: server.baseURL, seed: 3 }),
    ).rejects.toMatchObject({
      code: "PC_FILE_UNREADABLE",
      file: "prompts/b.md",
      message: "reads an output of prompts/a.md that does not exist",
      hint: "Build prompts/a.md first (pc build prompts/a.md).",
    });
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("of a prompt whose file is gone says so", async () => {
    const project = await built();
    await project.remove("prompts/b.md");
    await expect(
      diff({ cwd: project.root, prompt: "prompts/b.md", baseUrl: server.baseURL, seed: 3 }),
    ).rejects.toMatchObject({
      code: "PC_PROMPT_NOT_FOUND",
      file: "prompts/b.md",
      message: "the prompt file is gone; only its lock entry remains",
      hint: "Restore the prompt (git checkout) to work with it.",
    });
  });

  it("of a prompt that cannot be parsed gives the prompt's own error", async () => {
    const project = await built();
    await project.write({ "prompts/b.md": "---\nversion: 1\noutput: generated/b.py\n---\nno model\n" });
    await expect(
      diff({ cwd: project.root, prompt: "prompts/b.md", baseUrl: server.baseURL, seed: 3 }),
    ).rejects.toMatchObject({ code: "PC_FRONTMATTER_INVALID", file: "prompts/b.md" });
    expect(server.chatRequests()).toHaveLength(0);
  });
});

describe("pc check --run of one prompt", () => {
  it("runs the checks of a prompt reverted to text built before (its hashes recalled from that build)", async () => {
    const text = (comment: string) =>
      promptFile({ output: "generated/a.py", check: "test -s generated/a.py", extra: `# ${comment}` });
    const project = await makeProject({ "prompts/a.md": text("first") });
    await buildIn(project, server);
    // Other text, the same request: built again, then the first text back.
    await project.write({ "prompts/a.md": text("second") });
    await buildIn(project, server, { force: true });
    await project.write({ "prompts/a.md": text("first") });
    expect((await status({ cwd: project.root })).prompts.map((p) => p.state)).toEqual(["fresh"]);
    const report = await runChecks({ cwd: project.root });
    expect(report).toMatchObject({ ok: true, checks: [{ prompt: "prompts/a.md", passed: true }] });
  });
});
