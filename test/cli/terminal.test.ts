// What a person at a terminal meets: a closed pipe, --json errors, mistyped commands and flags, a
// folder that is no project, hints that are true for what they typed, and counts in good English.
// Each runs the built pc the way a user does.
import { readdir } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { spawnPc, TERMINAL, type PcRun } from "../support/pc.js";
import { makeProject, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { closedPort, testServer, useTestServer } from "../support/test-server.js";
import { tinyProject } from "../support/tiny-project.js";

const server = useTestServer();

/** A project with one prompt, built. */
async function builtProject(): Promise<TempProject> {
  const project = await makeProject({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
  const build = await project.run(["build", "--base-url", server.baseURL]);
  expect(build.code, build.stderr).toBe(0);
  return project;
}

/** Runs pc with the reading end of its stdout (and stderr, if asked) closed before it writes anything. */
function withClosedPipe(project: TempProject, args: string[], closeStderr = false): Promise<PcRun> {
  const run = spawnPc(args, { cwd: project.root });
  run.child.stdout!.destroy();
  if (closeStderr) run.child.stderr!.destroy();
  return run.done;
}

describe("a closed pipe (pc log | head)", () => {
  it("every command exits quietly, with the exit code it would have had", async () => {
    const project = await builtProject();
    const commands: Array<[string[], number]> = [
      [["status"], 0],
      [["status", "--json"], 0],
      [["check"], 0],
      [["log", "prompts/a.md"], 0],
      [["log", "prompts/a.md", "--json"], 0],
      [["graph"], 0],
      [["render", "prompts/a.md"], 0],
      [["lock"], 0],
      [["build", "--dry-run"], 0],
      [["gc", "--dry-run"], 0],
      [["completion", "bash"], 0],
      [["--help"], 0],
    ];
    for (const [args, code] of commands) {
      const run = await withClosedPipe(project, args);
      expect(run.stderr, `pc ${args.join(" ")}`).not.toMatch(/EPIPE|internal error|\n\s+at /);
      expect(run.code, `pc ${args.join(" ")}: ${run.stderr}`).toBe(code);
    }
    await project.write({ "generated/a.py": "edited by hand\n" });
    const check = await withClosedPipe(project, ["check"]);
    expect(check.stderr).toBe("");
    expect(check.code).toBe(1);
  });

  it("a build whose stdout and stderr are both closed still finishes and exits without a crash", async () => {
    const project = await makeProject({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
    const run = spawnPc(["build", "--base-url", server.baseURL], { cwd: project.root });
    run.child.stdout!.destroy();
    run.child.stderr!.destroy();
    expect((await run.done).code).toBe(0);
    expect((await project.lock()).prompts["prompts/a.md"]).toBeDefined();
  });
});

describe("--json errors", () => {
  it("are one JSON document on stdout, for every command that takes --json", async () => {
    const empty = await makeProject();
    const commands = [
      ["status"],
      ["check"],
      ["build"],
      ["verify"],
      ["watch"],
      ["doctor"],
      ["lock"],
      ["log", "prompts/a.md"],
      ["gc"],
      ["graph", "--format", "json"],
    ];
    for (const args of commands) {
      const run = await empty.run([...args, ...(args.includes("--format") ? [] : ["--json"])]);
      expect(run.code, `pc ${args.join(" ")}`).toBe(2);
      const parsed = JSON.parse(run.stdout) as { error: { code: string; message: string; hint: string } };
      expect(parsed.error.code).toBe("PC_NOT_A_PROJECT");
      expect(parsed.error.message).toContain("is not in a pc project");
      expect(parsed.error.hint).toContain("pc init");
      expect(run.stderr).toContain("PC_NOT_A_PROJECT"); // people reading the terminal see it too
    }
  });

  it("usage errors and a missing prompt are JSON too", async () => {
    const project = await builtProject();
    const flag = await project.run(["build", "--forse", "--json"]);
    expect(flag.code).toBe(2);
    expect(JSON.parse(flag.stdout).error).toMatchObject({
      code: "PC_USAGE",
      message: "unknown option --forse for pc build: did you mean --force?",
    });
    const missing = await project.run(["log", "prompts/nope.md", "--json"]);
    expect(missing.code).toBe(2);
    expect(JSON.parse(missing.stdout).error.code).toBe("PC_PROMPT_NOT_FOUND");
  });
});

describe("mistyped commands and flags", () => {
  it("pc buidl: did you mean pc build, then build's help; exit 2", async () => {
    const project = await builtProject();
    const run = await project.run(["buidl"]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toContain('unknown command "buidl": did you mean "pc build"?');
    expect(run.stderr).toContain("$ pc build [...paths]");
    expect(run.stderr).toContain("--force");
  });

  it("pc build --forse and --base-ur: did you mean, as typed (not camelCased), then the command's help", async () => {
    const project = await builtProject();
    const force = await project.run(["build", "--forse"]);
    expect(force.code).toBe(2);
    expect(force.stderr).toContain("unknown option --forse for pc build: did you mean --force?");
    expect(force.stderr).toContain("$ pc build [...paths]");
    const url = await project.run(["build", "--base-ur", "http://127.0.0.1:1/v1"]);
    expect(url.stderr).toContain("did you mean --base-url?");
    expect(url.stderr).not.toContain("baseUr");
    const json = await project.run(["status", "--jsn"]);
    expect(json.stderr).toContain("unknown option --jsn for pc status: did you mean --json?");
    expect(json.stderr).toContain("$ pc status [...paths]");
    expect((await project.lock()).prompts["prompts/a.md"]).toBeDefined();
  });

  it("flags the command takes are not refused: negated, short, with =, and a negative number as a value", async () => {
    const project = await builtProject();
    expect(
      (await project.run(["build", "--no-cache", "-j", "1", "--timeout=5", "--base-url", server.baseURL])).code,
    ).toBe(0);
    const diff = await project.run(["diff", "prompts/a.md", "--seed", "-3", "--base-url", server.baseURL]);
    expect(diff.stderr).not.toContain("unknown option");
  });
});

describe("a folder that is no pc project", () => {
  it("check, build, status and the others say so and exit 2; gc creates nothing", async () => {
    const empty = await makeProject();
    for (const args of [
      ["check"],
      ["build"],
      ["status"],
      ["gc"],
      ["doctor"],
      ["graph"],
      ["watch"],
      ["render", "x.md"],
    ]) {
      const run = await empty.run(args);
      expect(run.code, `pc ${args.join(" ")}`).toBe(2);
      expect(run.stderr).toContain("is not in a pc project");
      expect(run.stderr).toContain("Run pc init");
      expect(run.stdout).not.toMatch(/fresh/i);
    }
    expect(await readdir(empty.root)).toEqual([]);
    const init = await empty.run(["init"]);
    expect(init.code).toBe(0);
    expect((await empty.run(["status"])).code).toBe(0);
  });
});

describe("hints that are true", () => {
  it("a server that is down: the hint names the port the user gave, not 8080", async () => {
    const project = await makeProject({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
    const port = await closedPort();
    const run = await project.run(["build", "--base-url", `http://127.0.0.1:${port}/v1`, "--retries", "0"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`--port ${port}`);
    expect(run.stderr).not.toContain("8080");
  });

  it("after the last retry, the hint says the retries are used up instead of promising another", async () => {
    const project = await makeProject({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
    server.fail({ status: 500, message: "kaputt" }, { times: 2 });
    const run = await project.run(["build", "--base-url", server.baseURL, "--retries", "1"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("server error 500: kaputt");
    expect(run.stderr).toContain("Gave up after 2 attempts; --retries <n> allows more.");
    expect(run.stderr).not.toMatch(/it is retried/);
  });

  it("an answer cut short by max_tokens names max_tokens; by the server's context, the context size", async () => {
    const capped = await makeProject({ "prompts/a.md": promptFile({ output: "generated/a.py", max_tokens: 3 }) });
    const byMaxTokens = await capped.run(["build", "--base-url", server.baseURL]);
    expect(byMaxTokens.stderr).toContain("max_tokens is 3");
    expect(byMaxTokens.stderr).toContain("Raise max_tokens");

    const small = await testServer({ nCtx: 16 });
    small.fail({ kind: "length" });
    const project = await makeProject({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
    const byContext = await project.run(["build", "--base-url", small.baseURL]);
    expect(byContext.code).toBe(1);
    expect(byContext.stderr).toMatch(
      /the model's context of 16 tokens is full \(the prompt's \d+ tokens and the answer's \d+\)/,
    );
    expect(byContext.stderr).toContain("llama-server -c");
    expect(byContext.stderr).not.toContain("Raise max_tokens");
  });

  it("the embedded engine: an answer that fills the context names contextSize, not max_tokens", async () => {
    const project = await tinyProject({
      "a.md": { output: "generated/a.txt", max_tokens: undefined, stop: undefined, temperature: 0 },
    });
    await project.write({ "pc.config.json": JSON.stringify({ contextSize: 512 }) });
    const run = await project.run(["build"]);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/the model's context of 512 tokens is full/);
    expect(run.stderr).toContain("contextSize in pc.config.json");
    expect(run.stderr).not.toContain("Raise max_tokens");
  });
});

describe("counts", () => {
  it("one prompt is one prompt: check, doctor and lock say so in good English", async () => {
    const project = await builtProject();
    const check = await project.run(["check"]);
    expect(check.stdout).toContain("The only prompt is fresh");
    expect(check.stdout).not.toMatch(/\b1 prompts\b/);
    const doctor = await project.run(["doctor", "--base-url", server.baseURL]);
    expect(doctor.stdout).toContain("1 prompt parses and renders");
    expect(doctor.stdout).toContain("(1 prompt recorded)");
    const lock = await project.run(["lock"]);
    expect(lock.stdout).toContain("its 1 prompt on disk");
    await project.write({ "generated/a.py": "edited\n" });
    expect((await project.run(["check"])).stdout).toContain("1 of 1 prompt is not fresh");
  });
});

describe.skipIf(!TERMINAL)(
  `the live line at a terminal${TERMINAL ? "" : " (skipped: script(1) is not installed, so there is no pseudo-terminal)"}`,
  () => {
    it("keeps moving while the model has sent nothing: phase and time, redrawn; then the build finishes", async () => {
      let release!: () => void;
      const firstToken = new Promise<void>((resolve) => (release = resolve));
      const slow = await testServer({ answer: async () => (await firstToken, "```python\nprint(1)\n```") });
      const project = await makeProject({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
      const run = spawnPc(["build", "--base-url", slow.baseURL], {
        cwd: project.root,
        terminal: true,
        env: { TERM: "xterm" },
      });
      // Two different times on the line while no token has come: it is redrawn, not waiting for one.
      await run.waitForStdout(/waiting for the first token · \d+\.\d s/);
      const first = /waiting for the first token · (\d+\.\d) s/.exec(run.stdout())![1];
      await run.waitForStdout(
        new RegExp(`waiting for the first token · (?!${first.replace(".", "\\.")} s)\\d+\\.\\d s`),
      );
      release();
      const done = await run.done;
      expect(done.code, done.stdout).toBe(0);
      expect(done.stdout).toContain("✓ built  prompts/a.md → generated/a.py");
      expect(done.stdout).toContain("prompts/a.md test-model · waiting for the first token");
    });
  },
);
