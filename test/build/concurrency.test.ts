import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type ChatCompletionBody, type TestServer, defaultAnswer } from "../support/openai-server.js";
import { makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { buildIn, outcomes, outputOf, userMessage } from "../support/build.js";
import { testServer } from "../support/test-server.js";

const server = (latencyMs: number) => testServer({ latencyMs });

/**
 * An answer that holds requests until `size` of them are waiting, then releases them together
 * (recording which), so overlap is proven by events rather than by timing. A request left alone
 * is released after `fallbackMs`, so a build that does not overlap fails instead of hanging.
 * After `holds` groups, requests pass straight through.
 */
function gate(size: number, { holds = Infinity, fallbackMs = 2_000 } = {}) {
  let waiting: Array<{ output: string; release: () => void }> = [];
  const groups: string[][] = [];
  const answer = async (body: ChatCompletionBody) => {
    if (groups.length >= holds) return defaultAnswer(body);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        waiting = waiting.filter((w) => w.release !== release);
        resolve();
      }, fallbackMs);
      const release = () => {
        clearTimeout(timer);
        resolve();
      };
      waiting.push({ output: outputOf({ body } as never), release });
      if (waiting.length >= size) {
        groups.push(waiting.map((w) => w.output).sort());
        for (const w of waiting.splice(0)) w.release();
      }
    });
    return defaultAnswer(body);
  };
  return { answer, groups };
}

function independent(count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++)
    files[`prompts/p${i}.md`] = promptFile({ output: `generated/p${i}.py`, body: `Write part ${i}.` });
  return files;
}

describe("-j/--jobs", () => {
  it("-j 4 keeps four requests in flight, never more", async () => {
    const s = await server(20);
    const { answer, groups } = gate(4);
    s.setAnswer(answer);
    const project = await makeProject(independent(8));
    const { report } = await buildIn(project, s, { jobs: 4 });
    expect(report.totals.built).toBe(8);
    expect(s.maxActive()).toBe(4);
    expect(groups).toHaveLength(2);
  });

  it("builds one prompt at a time by default (most local servers have one slot)", async () => {
    const s = await server(20);
    const project = await makeProject({
      ...independent(4),
      "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
      "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"], body: "Write b." }),
    });
    const { report } = await buildIn(project, s);
    expect(report.totals.built).toBe(6);
    expect(s.maxActive()).toBe(1);
  });

  it("takes the default from pc.config.json's jobs", async () => {
    const s = await server(20);
    const { answer, groups } = gate(2);
    s.setAnswer(answer);
    const project = await makeProject({ ...independent(2), "pc.config.json": JSON.stringify({ jobs: 2 }) });
    await buildIn(project, s);
    expect(s.maxActive()).toBe(2);
    expect(groups).toEqual([["generated/p0.py", "generated/p1.py"]]);
  });

  it("dependents wait for what they read, while independent prompts go ahead", async () => {
    const s = await server(20);
    const project = await makeProject({
      ...independent(4),
      "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
      "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"], body: "Write b." }),
      "prompts/c.md": promptFile({ output: "generated/c.py", context: ["generated/b.py"], body: "Write c." }),
    });
    const { report } = await buildIn(project, s, { jobs: 4 });
    expect(report.totals.built).toBe(7);
    const requests = s.chatRequests();
    const indexOf = (output: string) => requests.findIndex((r) => outputOf(r) === output);
    expect(indexOf("generated/a.py")).toBeLessThan(indexOf("generated/b.py"));
    expect(indexOf("generated/b.py")).toBeLessThan(indexOf("generated/c.py"));
    // Each dependent was asked with its dependency's finished output in its context.
    expect(userMessage(requests[indexOf("generated/b.py")]!)).toContain(await project.read("generated/a.py"));
    expect(userMessage(requests[indexOf("generated/c.py")]!)).toContain(await project.read("generated/b.py"));
  });

  it("a prompt waiting for its dependency does not hold a slot", async () => {
    const s = await server(0);
    const { answer, groups } = gate(2, { holds: 1 });
    s.setAnswer(answer);
    // In build order: a, b (waits for a), c. With two slots, a and c must run together.
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
      "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"], body: "Write b." }),
      "prompts/c.md": promptFile({ output: "generated/c.py", body: "Write c." }),
    });
    const { report } = await buildIn(project, s, { jobs: 2 });
    expect(outcomes(report)).toEqual({ "prompts/a.md": "built", "prompts/b.md": "built", "prompts/c.md": "built" });
    expect(groups[0]).toEqual(["generated/a.py", "generated/c.py"]);
  });
});
