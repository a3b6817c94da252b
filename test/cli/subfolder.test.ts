// pc started in a subfolder of a project works on the whole project, as git does: the root is the
// nearest folder up holding pc.config.json, promptfile.lock or prompts/, and paths given on the
// command line are relative to where pc was started.
import { existsSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fencedAnswer } from "../support/openai-server.js";
import { runPc } from "../support/pc.js";
import { writeFiles, removeProject, readText, readLockJson, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
let root: string;

afterEach(async () => {
  if (root) await removeProject(root);
});

const files = () => ({
  "pc.config.json": "{}\n",
  "promptfile.lock": '{"lockfileVersion": 1, "prompts": {}}\n',
  "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
  "prompts/api/b.md": promptFile({ output: "generated/b.py", body: "Write b." }),
});

describe("pc in a subfolder of a project", () => {
  it("builds the whole project from its root, with the lock and outputs where they belong", async () => {
    root = (await makeProject(files())).root;
    const run = await runPc(["build", "--base-url", server.baseURL, "--metrics", "build.prom"], {
      cwd: path.join(root, "prompts/api"),
    });
    expect(run.code).toBe(0);
    expect(requests()).toBe(2);
    expect(Object.keys((await readLockJson(root)).prompts).sort()).toEqual(["prompts/a.md", "prompts/api/b.md"]);
    expect(await readText(root, "generated/a.py")).toContain("# answer");
    expect(existsSync(path.join(root, "prompts/api/generated"))).toBe(false);
    expect(existsSync(path.join(root, "prompts/api/promptfile.lock"))).toBe(false);
    // A file named on the command line is where pc was started.
    expect(await readText(root, "prompts/api/build.prom")).toContain("pc_prompt_tokens_total");
    expect((await runPc(["check"], { cwd: path.join(root, "generated") })).code).toBe(0);
  });

  it("takes the paths given as relative to where pc was started", async () => {
    root = (await makeProject(files())).root;
    const sub = path.join(root, "prompts");
    const only = await runPc(["build", "api", "--json", "--base-url", server.baseURL], { cwd: sub });
    expect(only.code).toBe(0);
    expect(JSON.parse(only.stdout).prompts.map((p: { prompt: string }) => p.prompt)).toEqual(["prompts/api/b.md"]);
    const status = await runPc(["status", "a.md", "--json"], { cwd: sub });
    expect(
      JSON.parse(status.stdout).prompts.map((p: { prompt: string; state: string }) => [p.prompt, p.state]),
    ).toEqual([["prompts/a.md", "new"]]);
    const byOutput = await runPc(["status", "b.py", "--json"], { cwd: path.join(root, "generated") });
    expect(
      JSON.parse(byOutput.stdout).prompts.map((p: { prompt: string; state: string }) => [p.prompt, p.state]),
    ).toEqual([["prompts/api/b.md", "fresh"]]);

    await writeFiles(root, { "answers/a.md": fencedAnswer("print('from a chat')", "python") });
    const accepted = await runPc(["accept", "a.md", "../answers/a.md", "--model", "chat"], { cwd: sub });
    expect(accepted.code).toBe(0);
    expect(await readText(root, "generated/a.py")).toBe("print('from a chat')\n");

    const missing = await runPc(["status", "nothing.md"], { cwd: sub });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no prompt matches "prompts/nothing.md"');
  });

  it("treats a folder with its own pc.config.json or prompts/ as its own project, and pc init makes one", async () => {
    root = (
      await makeProject({
        ...files(),
        "tools/pc.config.json": "{}\n",
        "tools/prompts/t.md": promptFile({ output: "generated/t.py" }),
      })
    ).root;
    const inner = await runPc(["status", "--json"], { cwd: path.join(root, "tools/prompts") });
    expect(JSON.parse(inner.stdout).prompts.map((p: { prompt: string }) => p.prompt)).toEqual(["prompts/t.md"]);

    // A project not built yet (prompts, no lock, no config) inside another is its own too.
    await writeFiles(root, { "new/prompts/n.md": promptFile({ output: "generated/n.py" }) });
    const unbuilt = await runPc(["status", "--json"], { cwd: path.join(root, "new/prompts") });
    expect(
      JSON.parse(unbuilt.stdout).prompts.map((p: { prompt: string; state: string }) => [p.prompt, p.state]),
    ).toEqual([["prompts/n.md", "new"]]);

    await writeFiles(root, { "fresh/.keep": "" });
    expect((await runPc(["init"], { cwd: path.join(root, "fresh") })).code).toBe(0);
    expect(existsSync(path.join(root, "fresh/promptfile.lock"))).toBe(true);
    expect((await readLockJson(root)).prompts).toEqual({});
  });
});

const requests = () => server.chatRequests().length;
