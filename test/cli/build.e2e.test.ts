import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EnvChanges, type PcRun, runPc } from "../support/pc.js";
import { makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer, closedPort } from "../support/test-server.js";

/** Runs the built `pc` in `cwd` with no base URL or key from the shell, then `env`. */
function pc(cwd: string, args: string[], env: EnvChanges = {}): Promise<PcRun> {
  return runPc(args, { cwd, env: { PC_API_KEY: undefined, ...env } });
}

const server = useTestServer();
let deadURL: string;
beforeAll(async () => {
  deadURL = `http://127.0.0.1:${await closedPort()}/v1`;
});
afterAll(cleanupProjects);

const twoPrompts = () => ({
  "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a." }),
  "prompts/b.md": promptFile({ output: "generated/b.py", context: ["generated/a.py"], body: "Write b." }),
});

const SUMMARY =
  /^(\d+) built, (\d+) from cache, (\d+) fresh, (\d+) failed(?:, (\d+) skipped)?(?:, (\d+) drifted)?; (?:(\d+) prompt \+ (\d+) completion tokens; )?\d+(?:\.\d)? m?s$/m;

describe("pc build (the binary)", () => {
  it("builds with PC_BASE_URL, prints one line per prompt and a summary; a second run makes no request", async () => {
    const project = await makeProject(twoPrompts());
    const first = await pc(project.root, ["build"], { PC_BASE_URL: server.baseURL });
    expect(first).toMatchObject({ code: 0, stdout: "" });
    expect(first.stderr).toMatch(
      /^✓ built {2}prompts\/a\.md → generated\/a\.py \(\d+ tokens, [\d.]+ tok\/s, \d+(\.\d)? m?s\)$/m,
    );
    expect(first.stderr).toMatch(/^✓ built {2}prompts\/b\.md → generated\/b\.py /m);
    const summary = SUMMARY.exec(first.stderr)!;
    expect(summary.slice(1, 5)).toEqual(["2", "0", "0", "0"]);
    expect(Number(summary[8])).toBeGreaterThan(0);
    expect(await project.read("generated/a.py")).toMatch(/^# answer /);
    const lock = await project.read("promptfile.lock");

    server.reset();
    const second = await pc(project.root, ["build"], { PC_BASE_URL: server.baseURL });
    expect(second.code).toBe(0);
    expect(server.requests).toHaveLength(0);
    expect(second.stderr.trim()).toMatch(/^0 built, 0 from cache, 2 fresh, 0 failed; \d+ ms$/);
    expect(await project.read("promptfile.lock")).toBe(lock);
  });

  it("--json prints one report on stdout and nothing on stderr", async () => {
    const project = await makeProject(twoPrompts());
    const run = await pc(project.root, ["build", "--json", "--base-url", server.baseURL]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe("");
    const report = JSON.parse(run.stdout);
    expect(report).toEqual({
      ok: true,
      dryRun: false,
      dropped: [],
      durationMs: expect.any(Number),
      finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      totals: {
        built: 2,
        cached: 0,
        fresh: 0,
        failed: 0,
        skipped: 0,
        drifted: 0,
        planned: 0,
        promptTokens: expect.any(Number),
        completionTokens: expect.any(Number),
        requestMs: expect.any(Number),
        tokensPerSecond: expect.any(Number),
      },
      prompts: [
        {
          prompt: "prompts/a.md",
          outcome: "built",
          reasons: ["not built yet"],
          outputs: ["generated/a.py"],
          source: "llm",
          model: "test-model",
          usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
          durationMs: expect.any(Number),
          tokensPerSecond: expect.any(Number),
          error: null,
        },
        expect.objectContaining({
          prompt: "prompts/b.md",
          outcome: "built",
          reasons: ["not built yet", "depends on prompts/a.md (new)"],
        }),
      ],
      warnings: [],
    });
    const usage = report.prompts.map((p: { usage: { promptTokens: number } }) => p.usage.promptTokens);
    expect(report.totals.promptTokens).toBe(usage[0] + usage[1]);
  });

  it("exits 1 when a prompt fails: the others are built, dependents skipped, the error in full", async () => {
    const project = await makeProject({
      ...twoPrompts(),
      "prompts/c.md": promptFile({ output: "generated/c.py", body: "Write c." }),
    });
    server.fail(
      { kind: "no-code" },
      { times: 1, when: (body) => String(body.messages.at(-1)!.content).includes("Write a.") },
    );
    const run = await pc(project.root, ["build"], { PC_BASE_URL: server.baseURL });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^✗ failed prompts\/a\.md: model "test-model" at http:\/\/127\.0\.0\.1:\d+\/v1: the answer has no usable code block for generated\/a\.py$/m,
    );
    expect(run.stderr).toMatch(/^- skipped prompts\/b\.md: dependency prompts\/a\.md failed$/m);
    expect(run.stderr).toMatch(/^✓ built {2}prompts\/c\.md/m);
    expect(run.stderr).toContain("The raw answer is kept in .pc/failed/prompts__a.md.txt.");
    expect(SUMMARY.exec(run.stderr)!.slice(1, 6)).toEqual(["1", "0", "0", "1", "1"]);

    const json = await pc(project.root, ["build", "--json"], { PC_BASE_URL: server.baseURL });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).totals).toMatchObject({ built: 2, fresh: 1 });
  });

  it("exits 1 on a hand-edited output and says how to resolve it", async () => {
    const project = await makeProject(twoPrompts());
    await pc(project.root, ["build"], { PC_BASE_URL: server.baseURL });
    await project.write({ "generated/b.py": "# mine\n" });
    const run = await pc(project.root, ["build"], { PC_BASE_URL: server.baseURL });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "! prompts/b.md: generated/b.py was edited by hand and is kept; `pc accept prompts/b.md` keeps the edit, `pc build --force prompts/b.md` replaces it",
    );
    expect(await project.read("generated/b.py")).toBe("# mine\n");
    const forced = await pc(project.root, ["build", "--force", "prompts/b.md"], { PC_BASE_URL: server.baseURL });
    expect(forced.code).toBe(0);
    expect(await project.read("generated/b.py")).toMatch(/^# answer /);
  });

  it("--base-url wins over PC_BASE_URL, which wins over pc.config.json", async () => {
    const project = await makeProject({ ...twoPrompts(), "pc.config.json": JSON.stringify({ baseUrl: deadURL }) });
    const flag = await pc(project.root, ["build", "prompts/a.md", "--base-url", server.baseURL, "--retries", "0"], {
      PC_BASE_URL: deadURL,
    });
    expect(flag.code).toBe(0);
    const env = await pc(project.root, ["build", "prompts/b.md", "--retries", "0"], { PC_BASE_URL: server.baseURL });
    expect(env.code).toBe(0);
    expect(server.chatRequests()).toHaveLength(2);

    await project.write({ "pc.config.json": JSON.stringify({ baseUrl: server.baseURL }) });
    await project.write({ "prompts/a.md": promptFile({ output: "generated/a.py", body: "Write a, again." }) });
    const config = await pc(project.root, ["build", "prompts/a.md"]);
    expect(config.code).toBe(0);
    expect(server.chatRequests()).toHaveLength(3);
  });

  it("no server listening: exit 1 with the base URL, the model and the prompt", async () => {
    const project = await makeProject(twoPrompts());
    const run = await pc(project.root, ["build", "--retries", "0"], { PC_BASE_URL: deadURL });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `prompts/a.md: model "test-model" at ${deadURL}: connection refused: no server is listening`,
    );
    // How to start a server where pc looked for one: the port of the URL given, not a default.
    expect(run.stderr).toContain(
      `llama-server -m model.gguf --host 127.0.0.1 --port ${new URL(deadURL).port} --parallel 1`,
    );
    expect(run.stderr).toMatch(/^- skipped prompts\/b\.md: dependency prompts\/a\.md failed$/m);
  });

  it("--dry-run and --dry-run --json print the plan and make no request", async () => {
    const project = await makeProject(twoPrompts());
    const text = await pc(project.root, ["build", "--dry-run"], { PC_BASE_URL: server.baseURL });
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(
      [
        "would build prompts/a.md → generated/a.py: not built yet",
        "would build prompts/b.md → generated/b.py: not built yet; depends on prompts/a.md (new)",
        "2 prompts would be built (dry run: no request made)",
        "",
      ].join("\n"),
    );
    const json = await pc(project.root, ["build", "--dry-run", "--json"], { PC_BASE_URL: server.baseURL });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report).toMatchObject({ ok: true, dryRun: true, totals: { planned: 2, built: 0 } });
    expect(report.prompts.map((p: { outcome: string }) => p.outcome)).toEqual(["planned", "planned"]);
    expect(server.requests).toHaveLength(0);
    expect(Object.keys(await project.snapshot())).toEqual(["prompts/a.md", "prompts/b.md"]);
  });

  it("usage and configuration errors exit 2", async () => {
    const project = await makeProject(twoPrompts());
    const jobs = await pc(project.root, ["build", "-j", "0"]);
    expect(jobs.code).toBe(2);
    expect(jobs.stderr).toContain('--jobs must be a whole number >= 1, got "0"');
    await project.write({ "pc.config.json": JSON.stringify({ baseUrl: "localhost:8080" }) });
    const config = await pc(project.root, ["build"]);
    expect(config.code).toBe(2);
    expect(config.stderr).toContain("pc.config.json");
    expect(server.requests).toHaveLength(0);
  });
});
