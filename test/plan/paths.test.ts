import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { status } from "../../src/commands/status.js";
import type { PromptStatus } from "../../src/plan/states.js";
import { type TempProject, makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
afterEach(cleanupProjects);

const PROMPT = "prompts/app.md";

async function appStatus(project: TempProject): Promise<PromptStatus> {
  return (await status({ cwd: project.root })).prompts.find((p) => p.prompt === PROMPT)!;
}

describe("output paths stay inside the project", () => {
  it.each([
    ["an absolute", "<outside>/escape.py", "<outside>/escape.py", "is absolute"],
    ["a ..", "../escape.py", "../escape.py", "points outside the project"],
    ["a folder/../..", "generated/../../escape.py", "../escape.py", "points outside the project"],
  ])("%s output makes the prompt invalid and nothing is written", async (_name, output, shown, why) => {
    // The project sits next to `outside`, so ../escape.py would land in the same temp folder: check that too.
    const outside = await makeProject();
    output = output.replace("<outside>", outside.root);
    shown = shown.replace("<outside>", outside.root);
    const project = await makeProject({
      [PROMPT]: promptFile({ output }),
      "prompts/ok.md": promptFile({ output: "generated/ok.py" }),
    });
    const s = await appStatus(project);
    expect(s.state).toBe("invalid");
    expect(s.error?.code).toBe("PC_PATH_OUTSIDE_PROJECT");
    expect(s.reasons[0]).toContain(`output "${shown}" ${why}`);
    expect(s.reasons[0]).toMatch(/^prompts\/app\.md: /);

    const report = await build({ cwd: project.root, baseUrl: server.baseURL });
    expect(report.prompts.find((p) => p.prompt === PROMPT)?.outcome).toBe("failed");
    expect(report.prompts.find((p) => p.prompt === "prompts/ok.md")?.outcome).toBe("built");
    expect(await readdir(outside.root)).toEqual([]);
    expect(existsSync(path.join(project.root, "..", "escape.py"))).toBe(false);
  });

  it("an output under a symlinked folder that points outside is refused, and nothing is written there", async () => {
    const outside = await makeProject();
    const project = await makeProject({ [PROMPT]: promptFile({ output: "generated/app.py" }) });
    await project.symlink("generated", outside.root);
    const s = await appStatus(project);
    expect(s.state).toBe("invalid");
    expect(s.reasons[0]).toContain(
      'output "generated/app.py" passes through a symlink that points outside the project',
    );
    const report = await build({ cwd: project.root, baseUrl: server.baseURL });
    expect(report.ok).toBe(false);
    expect(await readdir(outside.root)).toEqual([]);
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("a symlinked folder that stays inside the project is fine", async () => {
    const project = await makeProject({ [PROMPT]: promptFile({ output: "out/app.py" }), "build/.keep": "" });
    await project.symlink("out", "build");
    expect((await appStatus(project)).state).toBe("new");
    expect((await build({ cwd: project.root, baseUrl: server.baseURL })).ok).toBe(true);
    expect(project.exists("build/app.py")).toBe(true);
  });

  it("an output or context file whose name begins with two dots is inside the project: it is built, read and hashed", async () => {
    const project = await makeProject({
      [PROMPT]: promptFile({ output: "..notes.txt", context: ["..env.md", "docs/..draft.md"] }),
      "..env.md": "ENV-NOTES",
      "docs/..draft.md": "DRAFT-NOTES",
    });
    expect((await appStatus(project)).state).toBe("new");
    const report = await build({ cwd: project.root, baseUrl: server.baseURL });
    expect(report.prompts.find((p) => p.prompt === PROMPT)?.outcome).toBe("built");
    expect(project.exists("..notes.txt")).toBe(true);
    const sent = JSON.stringify(server.chatRequests()[0]!.body.messages);
    expect(sent).toContain("ENV-NOTES");
    expect(sent).toContain("DRAFT-NOTES");
    const lock = await project.lock();
    expect(Object.keys(lock.prompts[PROMPT]!.outputs)).toEqual(["..notes.txt"]);
    expect(Object.keys(lock.prompts[PROMPT]!.inputs)).toEqual(expect.arrayContaining(["..env.md", "docs/..draft.md"]));
    // Hashed as a file, not taken for a path out of the project: the output is fresh, and an edit to it is seen.
    expect((await appStatus(project)).state).toBe("fresh");
    await project.write({ "..notes.txt": "edited by hand\n" });
    expect((await appStatus(project)).state).toBe("drifted");
  });

  it.each([
    ["a context file", { context: ["../secret.md"] }, 'context file "../secret.md" points outside the project'],
    ["an output", { output: "../..notes.txt" }, 'output "../..notes.txt" points outside the project'],
  ])("%s in the folder above is still refused, whatever its name", async (_what, spec, message) => {
    const project = await makeProject({ [PROMPT]: promptFile(spec) });
    const s = await appStatus(project);
    expect(s.state).toBe("invalid");
    expect(s.error?.code).toBe("PC_PATH_OUTSIDE_PROJECT");
    expect(s.reasons[0]).toContain(message);
  });
});
