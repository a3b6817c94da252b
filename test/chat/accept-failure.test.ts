// `pc accept` on a prompt whose last build failed: the accepted answer (or the file on disk) is the
// prompt's output now, so the failure is forgotten: `pc status` says fresh, `pc check` passes, and
// .pc/failures.json no longer holds the prompt.
import { afterAll, describe, expect, it } from "vitest";
import { chatAnswer } from "../support/chat.js";
import { cleanupProjects, makeProject, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
afterAll(cleanupProjects);

const A = "prompts/a.md";
const B = "prompts/b.md";
const CODE = "def a():\n    return 1\n";

/** A built project of two prompts, then prompt a edited and its build failed (the server answered 500). */
async function failedProject(): Promise<TempProject> {
  const project = await makeProject({
    [A]: promptFile({ output: "generated/a.py", body: "Write a." }),
    [B]: promptFile({ output: "generated/b.py", body: "Write b." }),
  });
  expect((await project.run(["build", "--base-url", server.baseURL])).code).toBe(0);
  await project.write({ [A]: promptFile({ output: "generated/a.py", body: "Write a, edited." }) });
  server.fail({ status: 500 }, { times: Infinity });
  const failed = await project.run(["build", "--base-url", server.baseURL, "--retries", "0"]);
  expect(failed.code).toBe(1);
  server.reset();
  expect((await project.run(["status"])).stdout).toMatch(
    /prompts\/a\.md\s+failed\s+generated\/a\.py\s+llm\s+last build failed: model "test-model" at .*server error 500/,
  );
  expect(Object.keys(JSON.parse(await project.read(".pc/failures.json")))).toEqual([A]);
  return project;
}

/** The failures pc keeps, by prompt ({} when the file is gone). */
async function failures(project: TempProject): Promise<Record<string, unknown>> {
  return project.exists(".pc/failures.json") ? JSON.parse(await project.read(".pc/failures.json")) : {};
}

describe("pc accept on a prompt whose build failed", () => {
  it("with a chat's answer: the prompt is fresh and its failure forgotten", async () => {
    const project = await failedProject();
    await project.write({ "answer.md": chatAnswer([{ lang: "python", code: CODE }]) });
    const accepted = await project.run(["accept", A, "answer.md", "--model", "chat"]);
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(await project.read("generated/a.py")).toBe(CODE);
    expect(await failures(project)).toEqual({});
    const status = await project.run(["status"]);
    expect(status.stdout).toMatch(/prompts\/a\.md\s+fresh\s+generated\/a\.py\s+chat \(chat\)/);
    expect(status.stdout).not.toContain("failed");
    expect((await project.run(["check"])).code).toBe(0);
  });

  it("adopting the file on disk: the prompt is fresh, kept by hand, and its failure forgotten", async () => {
    const project = await failedProject();
    await project.write({ "generated/a.py": CODE });
    const adopted = await project.run(["accept", A]);
    expect(adopted.code, adopted.stderr).toBe(0);
    expect(await failures(project)).toEqual({});
    expect((await project.run(["status"])).stdout).toMatch(/prompts\/a\.md\s+fresh\s+generated\/a\.py\s+hand/);
    expect((await project.run(["check"])).code).toBe(0);
  });
});
