// A context glob that matches another prompt's output which is not built yet: the prompt reads it
// once it is built, in the same build, instead of failing (nothing matched) or missing it.
import { afterAll, describe, expect, it } from "vitest";
import { status } from "../../src/commands/status.js";
import { makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn, outcomes, requestedOutputs, userMessage } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);

const reader = (context: string) =>
  promptFile({ output: "docs/summary.md", context: [context], format: false, body: "Summarise the code." });

describe("a context glob over outputs not built yet", () => {
  it("waits for the prompt that writes the only match, then reads it", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
      "prompts/summary.md": reader("generated/*.py"),
    });
    const { report } = await buildIn(project, server, { jobs: 2 });
    expect(outcomes(report)).toEqual({ "prompts/a.md": "built", "prompts/summary.md": "built" });
    expect(requestedOutputs(server)).toEqual(["generated/a.py", "docs/summary.md"]);
    expect(userMessage(server.chatRequests()[1]!)).toContain(await project.read("generated/a.py"));
    expect((await status({ cwd: project.root })).prompts.map((p) => p.state)).toEqual(["fresh", "fresh"]);
  });

  it("waits for it too when the glob already matches other files, and reads them all", async () => {
    const project = await makeProject({
      "generated/helpers.py": "def helper():\n    return 1\n",
      "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
      "prompts/summary.md": reader("generated/*.py"),
    });
    const { report } = await buildIn(project, server, { jobs: 2 });
    expect(outcomes(report)).toEqual({ "prompts/a.md": "built", "prompts/summary.md": "built" });
    expect(requestedOutputs(server)).toEqual(["generated/a.py", "docs/summary.md"]);
    const asked = userMessage(server.chatRequests()[1]!);
    expect(asked).toContain("def helper()");
    expect(asked).toContain(await project.read("generated/a.py"));
    // Built once: the next build has nothing to do.
    server.reset();
    expect((await buildIn(project, server)).report.totals.fresh).toBe(2);
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("still fails a glob that matches nothing and no prompt's output", async () => {
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
      "prompts/summary.md": reader("src/*.py"),
    });
    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/a.md": "built", "prompts/summary.md": "failed" });
    expect(report.prompts[1]!.error?.code).toBe("PC_CONTEXT_EMPTY");
  });
});
