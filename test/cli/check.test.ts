import { afterEach, describe, expect, it } from "vitest";
import { type TempProject, makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
afterEach(cleanupProjects);

const FILES = {
  "prompts/models.md": promptFile({ output: "generated/models.py" }),
  "prompts/api.md": promptFile({ output: "generated/api.py", extra: "context: [generated/models.py]" }),
};

async function built(): Promise<TempProject> {
  const project = await makeProject(FILES);
  const result = await project.run(["build", "--base-url", server.baseURL]);
  expect(result.code).toBe(0);
  return project;
}

describe("pc check", () => {
  it("exits 1 and lists what is not fresh, with the reasons", async () => {
    const project = await makeProject(FILES);
    const result = await project.run(["check"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("prompts/models.md: not built yet");
    expect(result.stdout).toContain("prompts/api.md: depends on prompts/models.md (new)");
    expect(result.stdout).toContain("2 of 2 prompts are not fresh (2 new).");
  });

  it("exits 0 when every prompt is fresh", async () => {
    const project = await built();
    const result = await project.run(["check"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      "All 2 prompts are fresh: every output is the one the lock records for its prompt's current inputs (sources: 2 llm).\n",
    );
  });

  it("exits 1 when an output was edited by hand, or a prompt changed, saying which", async () => {
    const project = await built();
    await project.write({ "generated/api.py": "print('patched')\n" });
    const drifted = await project.run(["check"]);
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toMatch(/prompts\/api\.md\s+drifted/);
    expect(drifted.stdout).toContain("prompts/api.md: generated/api.py was edited by hand");
    expect(drifted.stdout).not.toMatch(/prompts\/models\.md\s+fresh/);

    await project.write({ "prompts/models.md": promptFile({ output: "generated/models.py", temperature: 0.7 }) });
    const json = await project.run(["check", "--json"]);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    const models = report.prompts.find((p: { prompt: string }) => p.prompt === "prompts/models.md");
    expect(models.state).toBe("stale");
    expect(models.reasons[0]).toBe("temperature changed: 0 -> 0.7");
  });

  it("exits 1 when a prompt is invalid, and still checks the others", async () => {
    const project = await built();
    await project.write({ "prompts/broken.md": promptFile({ output: "generated/broken.py", temperature: 3 }) });
    const result = await project.run(["check", "--json"]);
    expect(result.code).toBe(1);
    const states = Object.fromEntries(
      JSON.parse(result.stdout).prompts.map((p: { prompt: string; state: string }) => [p.prompt, p.state]),
    );
    expect(states).toEqual({ "prompts/models.md": "fresh", "prompts/api.md": "fresh", "prompts/broken.md": "invalid" });
  });

  it("exits 1 for an orphaned lock entry", async () => {
    const project = await built();
    await project.remove("prompts/api.md");
    const result = await project.run(["check"]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/prompts\/api\.md\s+orphaned/);
  });

  it("exits 2 on a lock with conflict markers, naming the file, and leaves it as it was", async () => {
    const project = await built();
    const lock = await project.read("promptfile.lock");
    const conflicted = `<<<<<<< HEAD\n${lock}=======\n${lock}>>>>>>> branch\n`;
    await project.write({ "promptfile.lock": conflicted });
    const result = await project.run(["check"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("promptfile.lock:1: has unresolved git conflict markers");
    expect(await project.read("promptfile.lock")).toBe(conflicted);
  });
});
