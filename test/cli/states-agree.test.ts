// The daily loop through every state, run with the built `pc`: at each step the build's plan, its
// summary, `pc status` and `pc check` tell the same story, and every state clears with a plain
// `pc build` (a failed prompt is retried, a deleted prompt's entry is dropped).
import { afterEach, describe, expect, it } from "vitest";
import { cleanupProjects, makeProject as createProject, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { closedPort, useTestServer } from "../support/test-server.js";

const server = useTestServer();
afterEach(cleanupProjects);

const BUILDABLE = new Set(["new", "stale", "missing", "failed"]);

type States = Record<string, string>;

/**
 * `pc status --json`, `pc check --json` and `pc build --dry-run --json`, checked against each
 * other: the same state for every prompt, check fails exactly when one is not fresh, and the dry
 * run plans exactly the prompts a build acts on. Returns the states.
 */
async function agreeingStates(project: TempProject): Promise<States> {
  const [status, check, plan] = await Promise.all([
    project.run(["status", "--json"]),
    project.run(["check", "--json"]),
    project.run(["build", "--dry-run", "--json", "--base-url", server.baseURL]),
  ]);
  expect(status.code, status.stderr).toBe(0);
  const states: States = Object.fromEntries(
    JSON.parse(status.stdout).prompts.map((p: { prompt: string; state: string }) => [p.prompt, p.state]),
  );
  const checked = JSON.parse(check.stdout);
  expect(
    Object.fromEntries(checked.prompts.map((p: { prompt: string; state: string }) => [p.prompt, p.state])),
  ).toEqual(states);
  const allFresh = Object.values(states).every((s) => s === "fresh");
  expect(checked.ok).toBe(allFresh);
  expect(check.code).toBe(allFresh ? 0 : 1);
  const planned = JSON.parse(plan.stdout);
  const outcome = (wanted: string) =>
    planned.prompts
      .filter((p: { outcome: string }) => p.outcome === wanted)
      .map((p: { prompt: string }) => p.prompt)
      .sort();
  const inState = (wanted: (s: string) => boolean) =>
    Object.keys(states)
      .filter((p) => wanted(states[p]!))
      .sort();
  expect(outcome("planned")).toEqual(inState((s) => BUILDABLE.has(s)));
  expect(outcome("drifted")).toEqual(inState((s) => s === "drifted"));
  expect(outcome("fresh")).toEqual(inState((s) => s === "fresh"));
  expect(planned.dropped.map((d: { prompt: string }) => d.prompt).sort()).toEqual(inState((s) => s === "orphaned"));
  return states;
}

/** A plain `pc build --json`: prompt -> outcome, and the dropped entries. */
async function build(project: TempProject, baseUrl = server.baseURL, ...flags: string[]) {
  const run = await project.run(["build", "--json", "--base-url", baseUrl, "--retries", "0", ...flags]);
  const report = JSON.parse(run.stdout);
  const outcomes = Object.fromEntries(
    report.prompts.map((p: { prompt: string; outcome: string }) => [p.prompt, p.outcome]),
  );
  return { code: run.code, outcomes, dropped: report.dropped as Array<{ prompt: string; outputsKept: string[] }> };
}

describe("states that clear", () => {
  it("agree between the build, pc status and pc check through new, failed, drifted, missing, stale and orphaned", async () => {
    const project = await createProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      "prompts/b.md": promptFile({ output: "generated/b.py" }),
      "prompts/c.md": promptFile({ output: "generated/c.py" }),
    });
    expect(await agreeingStates(project)).toEqual({
      "prompts/a.md": "new",
      "prompts/b.md": "new",
      "prompts/c.md": "new",
    });
    expect((await build(project)).outcomes).toEqual({
      "prompts/a.md": "built",
      "prompts/b.md": "built",
      "prompts/c.md": "built",
    });
    expect(await agreeingStates(project)).toEqual({
      "prompts/a.md": "fresh",
      "prompts/b.md": "fresh",
      "prompts/c.md": "fresh",
    });

    // A forced rebuild while the server is down fails; a plain build retries it once the server is back.
    const down = await build(project, `http://127.0.0.1:${await closedPort()}/v1`, "--force", "prompts/a.md");
    expect(down).toMatchObject({ code: 1, outcomes: { "prompts/a.md": "failed" } });
    expect(await agreeingStates(project)).toMatchObject({ "prompts/a.md": "failed" });
    const requests = server.chatRequests().length;
    expect((await build(project)).outcomes).toEqual({
      "prompts/a.md": "built",
      "prompts/b.md": "fresh",
      "prompts/c.md": "fresh",
    });
    expect(server.chatRequests().length).toBe(requests + 1);
    expect(await agreeingStates(project)).toMatchObject({ "prompts/a.md": "fresh" });

    // A hand edit is kept (drifted), a deleted output is restored, an edited prompt is rebuilt.
    await project.write({
      "generated/a.py": "print('by hand')\n",
      "prompts/c.md": promptFile({ output: "generated/c.py", body: "Write it again." }),
    });
    await project.remove("generated/b.py");
    expect(await agreeingStates(project)).toEqual({
      "prompts/a.md": "drifted",
      "prompts/b.md": "missing",
      "prompts/c.md": "stale",
    });
    const repaired = await build(project);
    expect(repaired).toMatchObject({
      code: 1,
      outcomes: { "prompts/a.md": "drifted", "prompts/b.md": "cached", "prompts/c.md": "built" },
    });
    expect(await agreeingStates(project)).toEqual({
      "prompts/a.md": "drifted",
      "prompts/b.md": "fresh",
      "prompts/c.md": "fresh",
    });
    expect((await build(project, server.baseURL, "--force", "prompts/a.md")).outcomes).toEqual({
      "prompts/a.md": "built",
    });

    // A deleted prompt is orphaned, with a message that says what is left; a plain build drops its entry.
    await project.remove("prompts/b.md");
    await project.remove("generated/b.py");
    await project.remove("prompts/c.md");
    const states = await agreeingStates(project);
    expect(states).toEqual({ "prompts/a.md": "fresh", "prompts/b.md": "orphaned", "prompts/c.md": "orphaned" });
    const status = await project.run(["status"]);
    expect(status.stdout).toMatch(
      /prompts\/b\.md .*the prompt file is gone and its outputs are gone too; `pc build` drops its lock entry/,
    );
    expect(status.stdout).toMatch(/prompts\/c\.md .*its outputs are kept \(generated\/c\.py: delete them/);
    const human = await project.run(["build", "--base-url", server.baseURL]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toContain(
      "dropped the lock entry of prompts/b.md: the prompt file is gone and its outputs are gone too",
    );
    expect(human.stderr).toContain(
      "dropped the lock entry of prompts/c.md: the prompt file is gone and its outputs are kept (generated/c.py",
    );
    expect(Object.keys((await project.lock()).prompts)).toEqual(["prompts/a.md"]);
    expect(project.exists("generated/c.py")).toBe(true);
    expect(await agreeingStates(project)).toEqual({ "prompts/a.md": "fresh" });
    expect((await project.run(["check"])).code).toBe(0);
  }, 240_000); // about 30 runs of pc: minutes on a loaded machine

  it("keeps the entry of a prompt excluded in pc.config.json: it is no orphan, and check passes", async () => {
    const project = await createProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
      "prompts/drafts/b.md": promptFile({ output: "generated/b.py" }),
    });
    expect((await build(project)).code).toBe(0);
    await project.write({ "pc.config.json": JSON.stringify({ exclude: ["prompts/drafts/**"] }) });
    expect(await agreeingStates(project)).toEqual({ "prompts/a.md": "fresh" });
    const built = await build(project);
    expect(built).toMatchObject({ code: 0, dropped: [] });
    expect(Object.keys((await project.lock()).prompts).sort()).toEqual(["prompts/a.md", "prompts/drafts/b.md"]);
    expect((await project.run(["check"])).code).toBe(0);
  });
});
