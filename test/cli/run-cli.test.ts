// The command line run in process (runCli, what PC_TEST_IN_PROCESS=1 uses): it works from the
// folder it is given, prints to the streams it is given, and leaves the process as it found it.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runInProcess } from "../support/pc.js";
import { makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";

describe("runCli", () => {
  it("runs from a subfolder of the project without changing the process's directory", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      "prompts/api/b.md": promptFile({ output: "generated/b.py" }),
    });
    const before = process.cwd();
    const run = await runInProcess(["status", "--json", "../a.md"], { cwd: path.join(project.root, "prompts/api") });
    expect(process.cwd()).toBe(before);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).prompts.map((p: { prompt: string }) => p.prompt)).toEqual(["prompts/a.md"]);
    // The same run again: nothing of the first one (a root found, a directory entered) is left over.
    const again = await runInProcess(["status", "--json"], { cwd: path.join(project.root, "prompts/api") });
    expect(JSON.parse(again.stdout).prompts).toHaveLength(2);
  });

  it("reports a usage error on the run's own streams, with exit 2", async () => {
    const project = await makeProject({ "prompts/a.md": promptFile({}) });
    const run = await runInProcess(["build", "--jobs", "0", "--json"], { cwd: project.root });
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { code: "PC_USAGE" } });
    expect(run.stderr).toContain('--jobs must be a whole number >= 1, got "0"');
  });
});
