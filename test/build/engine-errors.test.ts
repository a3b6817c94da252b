import { afterAll, describe, expect, it } from "vitest";
import type { BuildEvent } from "../../src/commands/build.js";
import { makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { buildIn, outcomes } from "../support/build.js";
import { useTestServer, testServer, closedPort } from "../support/test-server.js";

const server = useTestServer();
afterAll(cleanupProjects);

const onePrompt = () =>
  makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py", model: "qwen2.5-coder:7b" }) });
const retries = (events: BuildEvent[]) =>
  events.filter((e): e is Extract<BuildEvent, { type: "retry" }> => e.type === "retry");

describe("transient errors are retried", () => {
  it("429 with Retry-After: waits as asked, then builds", async () => {
    server.fail({ status: 429, retryAfter: 0.2 });
    const project = await onePrompt();
    const { report, events } = await buildIn(project, server);
    expect(report.ok).toBe(true);
    const [first, second] = server.chatRequests();
    expect(second).toBeDefined();
    expect(retries(events)).toEqual([
      {
        type: "retry",
        prompt: "prompts/p.md",
        attempt: 1,
        delayMs: 200,
        message: expect.stringContaining("rate limited (429)"),
      },
    ]);
    // The retry came no sooner than the server asked.
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(190);
  });

  it("503 while the model loads: retried with the server's Retry-After until it is ready", async () => {
    server.fail({ status: 503, retryAfter: 0.05 }, { times: 2 });
    const project = await onePrompt();
    const { report, events } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/p.md": "built" });
    expect(server.chatRequests()).toHaveLength(3);
    expect(retries(events).map((e) => [e.attempt, e.delayMs])).toEqual([
      [1, 50],
      [2, 50],
    ]);
    expect(retries(events)[0]!.message).toContain("the server is not ready (503)");
  });

  it("5xx without Retry-After: exponential backoff from the policy", async () => {
    server.fail({ status: 502 }, { times: 2 });
    const project = await onePrompt();
    const { report, events } = await buildIn(project, server);
    expect(report.ok).toBe(true);
    const delays = retries(events).map((e) => e.delayMs);
    // baseDelayMs 10, doubled each attempt, with +-25% jitter.
    expect(delays).toHaveLength(2);
    expect(delays[0]).toBeGreaterThanOrEqual(7.5);
    expect(delays[0]).toBeLessThanOrEqual(12.5);
    expect(delays[1]).toBeGreaterThanOrEqual(15);
    expect(delays[1]).toBeLessThanOrEqual(25);
  });

  it("a connection reset and a stream cut mid-answer are retried", async () => {
    server.fail({ kind: "reset" });
    server.fail({ kind: "cut" });
    const project = await onePrompt();
    const { report, events } = await buildIn(project, server);
    expect(report.ok).toBe(true);
    expect(server.chatRequests()).toHaveLength(3);
    expect(retries(events).map((e) => e.message)).toEqual([
      expect.stringMatching(/the connection broke \(\w+\)$/),
      expect.stringMatching(/the connection broke \(\w+\)$/),
    ]);
    expect(await project.read("generated/p.py")).toMatch(/^# answer /);
  });

  it("gives up after the configured retries with the last error", async () => {
    server.fail({ status: 503, retryAfter: 0 }, { times: 5 });
    const project = await onePrompt();
    const { report } = await buildIn(project, server, { retries: 1 });
    expect(server.chatRequests()).toHaveLength(2);
    expect(report.prompts[0]!.error).toMatchObject({ code: "PC_MODEL_LOADING", file: "prompts/p.md" });
  });
});

describe("errors that name the base URL, the model and the prompt", () => {
  it("connection refused: nothing listens at the base URL", async () => {
    const gone = { baseURL: `http://127.0.0.1:${await closedPort()}/v1` };
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py", model: "qwen2.5-coder:7b" }),
      "prompts/b.md": promptFile({ output: "generated/b.py", model: "qwen2.5-coder:7b" }),
    });
    const { report, events } = await buildIn(project, gone, { retries: 2 });
    const error = report.prompts[0]!.error!;
    expect(error.code).toBe("PC_ENGINE_UNREACHABLE");
    expect(error.format()).toContain(`prompts/a.md: model "qwen2.5-coder:7b" at ${gone.baseURL}: connection refused`);
    expect(error.hint).toMatch(/--base-url/);
    expect(outcomes(report)).toEqual({ "prompts/a.md": "failed", "prompts/b.md": "failed" });
    // The first prompt retried; the second did not wait through the same backoff again.
    expect(retries(events).map((e) => e.prompt)).toEqual(["prompts/a.md", "prompts/a.md"]);
  });

  it("404: the server does not serve the model; not retried", async () => {
    const served = await testServer({ models: ["llama3"] });
    const project = await onePrompt();
    const { report } = await buildIn(project, served);
    expect(served.chatRequests()).toHaveLength(1);
    const error = report.prompts[0]!.error!;
    expect(error.code).toBe("PC_MODEL_NOT_FOUND");
    expect(error.format()).toContain(
      `prompts/p.md: model "qwen2.5-coder:7b" at ${served.baseURL}: the server does not serve this model (404)`,
    );
    expect(error.hint).toMatch(/\/v1\/models|ollama pull/);
  });

  it("401: asks for PC_API_KEY; a prompt too long for the context says so", async () => {
    server.fail({ status: 401 });
    const project = await makeProject({
      "prompts/a.md": promptFile({ output: "generated/a.py" }),
    });
    const { report } = await buildIn(project, server);
    expect(report.prompts[0]!.error).toMatchObject({
      code: "PC_ENGINE_AUTH",
      hint: expect.stringContaining("PC_API_KEY"),
    });

    server.reset();
    server.fail({ status: 400 });
    const second = await buildIn(project, server);
    expect(second.report.prompts[0]!.error).toMatchObject({
      code: "PC_CONTEXT_EXCEEDED",
      hint: expect.stringContaining("larger context"),
    });
    expect(server.chatRequests()).toHaveLength(1);
  });

  it("a stalled server is abandoned after the timeout", async () => {
    server.fail({ kind: "stall", afterChunks: 2 });
    const project = await onePrompt();
    const { report } = await buildIn(project, server, { timeout: 1, retries: 0 });
    expect(report.prompts[0]!.error).toMatchObject({
      code: "PC_ENGINE_TIMEOUT",
      message: `model "qwen2.5-coder:7b" at ${server.baseURL}: no data for 1 s`,
    });
  });
});
