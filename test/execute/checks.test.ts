import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createHash } from "node:crypto";
import { getEventListeners } from "node:events";
import path from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { processAlive } from "../support/processes.js";
import { cleanupProjects, makeProject } from "../support/project.js";
import {
  TAIL_LINES,
  checkPrompt,
  failingLine,
  runChecks,
  type ChecksResult,
  type CommandResult,
} from "../../src/execute/checks.js";

const root = mkdtempSync(path.join(tmpdir(), "pc-checks-"));
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await cleanupProjects();
});
const base = { root, prompt: "prompts/a.md", outputs: ["generated/a.py", "generated/b.py"], timeoutMs: 10_000 };

describe("runChecks", () => {
  it("runs each command from the project root with PC_PROMPT and PC_OUTPUTS, in order", async () => {
    const result = await runChecks({
      ...base,
      commands: ['printf "%s|%s" "$PC_PROMPT" "$PC_OUTPUTS" > seen.txt', "pwd >> seen.txt"],
    });
    expect(result.passed).toBe(true);
    expect(result.commands.map((c) => c.exitCode)).toEqual([0, 0]);
    expect(readFileSync(path.join(root, "seen.txt"), "utf8")).toBe(
      `prompts/a.md|generated/a.py\ngenerated/b.py${root}\n`,
    );
  });

  it("stops at the first failing command and keeps the last lines of its output", async () => {
    const result = await runChecks({
      ...base,
      commands: ["for i in $(seq 1 100); do echo line $i; done; echo boom >&2; exit 3", "touch never-run"],
    });
    expect(result.passed).toBe(false);
    expect(result.commands).toHaveLength(1);
    expect(result.commands[0]!.failure).toBe("exit code 3");
    expect(result.commands[0]!.tail).toHaveLength(TAIL_LINES);
    expect(result.commands[0]!.tail.at(-1)).toBe("boom");
    expect(result.commands[0]!.tail[0]).toBe("line 62");
    expect(failingLine(result)).toBe("boom");
  });

  it("gives stdin no TTY: a command reading it sees end of file", async () => {
    const result = await runChecks({ ...base, commands: ["cat > stdin.txt; test ! -s stdin.txt"] });
    expect(result.passed).toBe(true);
  });

  it("kills the command and everything it started when the timeout runs out", async () => {
    writeFileSync(path.join(root, "child.pid"), "");
    const result = await runChecks({ ...base, timeoutMs: 300, commands: ["sleep 30 & echo $! > child.pid; wait"] });
    expect(result.passed).toBe(false);
    expect(result.commands[0]!.failure).toBe("timed out after 0.3 s");
    const pid = Number(readFileSync(path.join(root, "child.pid"), "utf8"));
    expect(pid).toBeGreaterThan(0);
    // Killed at once; reaped by init soon after.
    await expect.poll(() => processAlive(pid), { timeout: 5000 }).toBe(false);
  });

  it("kills the running command when the signal aborts", async () => {
    const controller = new AbortController();
    const running = runChecks({ ...base, signal: controller.signal, commands: ["echo started; sleep 30"] });
    setTimeout(() => controller.abort(), 100);
    const result = await running;
    expect(result.commands[0]!.failure).toBe("interrupted");
    expect(result.passed).toBe(false);
  });

  it("reports a command that does not exist as a failure, with the shell's message", async () => {
    const result = await runChecks({ ...base, commands: ["no-such-command-pc-check"] });
    expect(result.passed).toBe(false);
    expect(result.commands[0]!.failure).toBe("exit code 127");
    expect(failingLine(result)).toMatch(/not found/);
  });
});

describe("what a check leaves behind", () => {
  afterEach(() => void vi.useRealTimers());

  it("no timer (pc check exits as soon as its checks end) and no listener on the signal", async () => {
    // Only the timers are faked, to count them: the commands run for real.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const controller = new AbortController();
    const result = await runChecks({
      ...base,
      timeoutMs: 600_000,
      signal: controller.signal,
      commands: ["true", "true"],
    });
    expect(result.passed).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it("nothing the command started in the background: its process group goes when it ends", async () => {
    writeFileSync(path.join(root, "background.pid"), "");
    const result = await runChecks({ ...base, commands: ["sleep 30 > /dev/null 2>&1 & echo $! > background.pid"] });
    expect(result.passed).toBe(true);
    const pid = Number(readFileSync(path.join(root, "background.pid"), "utf8"));
    expect(pid).toBeGreaterThan(0);
    await expect.poll(() => processAlive(pid), { timeout: 5000 }).toBe(false);
  });
});

describe("a check command that cannot run to its end", () => {
  it("is interrupted at once when the signal was aborted before it started", async () => {
    const result = await runChecks({ ...base, signal: AbortSignal.abort(), commands: ["touch ran; sleep 30"] });
    expect(result.commands[0]).toMatchObject({ failure: "interrupted", timedOut: false });
    expect(result.passed).toBe(false);
  });

  it("killed by a signal says which", async () => {
    const result = await runChecks({ ...base, commands: ["kill -TERM $$"] });
    expect(result.commands[0]).toMatchObject({ failure: "killed by SIGTERM", exitCode: undefined, timedOut: false });
  });

  it("that cannot start (its folder is gone) says why", async () => {
    const gone = path.join(root, "no-such-folder");
    const result = await runChecks({ ...base, root: gone, commands: ["true"] });
    expect(result.passed).toBe(false);
    expect(result.commands[0]!.failure).toMatch(/^could not start: spawn \S+ ENOENT$/);
  });

  it("that runs out of time is marked so (a busy machine may pass it); one that fails is not", async () => {
    const slow = await runChecks({ ...base, timeoutMs: 200, commands: ["sleep 30"] });
    expect(slow.commands[0]).toMatchObject({ failure: "timed out after 0.2 s", timedOut: true });
    const failing = await runChecks({ ...base, commands: ["exit 1"] });
    expect(failing.commands[0]).toMatchObject({ failure: "exit code 1", exitCode: 1, timedOut: false });
  });
});

describe("the output kept of a check", () => {
  it("splits lines at \\n and \\r\\n and keeps a last line with no newline", async () => {
    const result = await runChecks({ ...base, commands: ["printf 'one\\r\\ntwo\\n\\nthree'; exit 1"] });
    expect(result.commands[0]!.tail).toEqual(["one", "two", "", "three"]);
  });

  it("keeps the last lines when the very last has no newline", async () => {
    const result = await runChecks({ ...base, commands: ["seq 1 100 | head -c -1"] });
    const tail = result.commands[0]!.tail;
    expect(tail).toHaveLength(TAIL_LINES);
    expect(tail[0]).toBe("61");
    expect(tail.at(-1)).toBe("100");
  });
});

/** A failed run whose failing command printed `lines`, after a passing command that printed `before`. */
function failedWith(lines: string[], before: string[] = []): ChecksResult {
  const command = (tail: string[], failure?: string): CommandResult => ({
    command: "c",
    failure,
    timedOut: false,
    tail,
    durationMs: 1,
  });
  return { passed: false, durationMs: 2, commands: [command(before), command(lines, "exit code 1")] };
}

describe("failingLine: the line that says why a check failed", () => {
  const naming = [
    "TypeError: x is not a function",
    "java.lang.NullPointerException",
    "Error",
    "error: expected ';'",
    "ERROR collecting tests/test_app.py",
    "FAIL src/app.test.js",
    "FAILED tests/test_app.py::test_add",
    "Failed to compile",
    "2 tests failed",
    "Assertion `x > 0`",
    "assertion: left == right",
  ];
  const notNaming = ["Errors: 0", "0 errors", "ERRORS", "FAILURE", "no terror", "failedness", "Exceptional"];

  it.each(naming)("takes %j over the last line", (line) => {
    expect(failingLine(failedWith(["collecting", `  ${line}  `, "done in 2 s"]))).toBe(line);
  });

  it.each(notNaming)("does not take %j for an error: the last line is taken", (line) => {
    expect(failingLine(failedWith(["collecting", line, "done in 2 s"]))).toBe("done in 2 s");
  });

  it("takes the first line naming a failure, from the failing command only, and skips blank last lines", () => {
    const result = failedWith(["a", "SyntaxError: one", "AssertionError: two", "last", "  ", ""], ["Error: passing"]);
    expect(failingLine(result)).toBe("SyntaxError: one");
    expect(failingLine(failedWith(["a", " last ", "", "   "]))).toBe("last");
    expect(failingLine(failedWith([]))).toBeUndefined();
  });

  it("is undefined when every command passed", () => {
    const result = failedWith(["Error: x"]);
    result.commands[1]!.failure = undefined;
    expect(failingLine({ ...result, passed: true })).toBeUndefined();
  });
});

describe("checkPrompt: the verdict and the output kept for the user", () => {
  /** sha256 over the outputs' canonical JSON, path by path. */
  const HASH_OF_OUTPUTS = `sha256:${createHash("sha256").update('{"generated/x.py":"x = 1\\n"}').digest("hex")}`;
  const checks = (commands: string[]) => ({ commands, timeoutMs: 10_000, hash: "sha256:checks" });
  const outputs = { "generated/x.py": "x = 1\n" };

  it("a pass: the verdict holds for these bytes under these checks, and nothing is kept", async () => {
    const project = (await makeProject()).root;
    const target = { prompt: "prompts/sub/x.md", outputs: ["generated/x.py"] };
    const { verdict, kept } = await checkPrompt(project, target, checks(["true"]), outputs);
    expect(verdict).toEqual({
      hash: "sha256:checks",
      outputs: HASH_OF_OUTPUTS,
      passed: true,
      durationMs: expect.any(Number),
    });
    expect(kept).toBeUndefined();
    expect(existsSync(path.join(project, ".pc"))).toBe(false);
  });

  it("a failure: names the command, why and the line that says so; keeps each command's output", async () => {
    const project = (await makeProject()).root;
    const target = { prompt: "prompts/sub/x.md", outputs: ["generated/x.py"] };
    const commands = ["echo fine", "echo checking; echo 'ValueError: bad' >&2; exit 2"];
    const { verdict, kept } = await checkPrompt(project, target, checks(commands), outputs);
    expect(verdict).toEqual({
      hash: "sha256:checks",
      outputs: HASH_OF_OUTPUTS,
      passed: false,
      durationMs: expect.any(Number),
      failure: `${commands[1]}: exit code 2 (ValueError: bad)`,
    });
    expect(kept).toBe(".pc/failed/prompts__sub__x.md.check.txt");
    expect(readFileSync(path.join(project, kept!), "utf8")).toBe(
      `$ echo fine\nfine\n[passed]\n\n$ ${commands[1]}\nchecking\nValueError: bad\n[exit code 2]\n`,
    );
  });

  it("a failure with no output names the command and why alone; a timeout is marked in the verdict", async () => {
    const project = (await makeProject()).root;
    const target = { prompt: "prompts/x.md", outputs: ["generated/x.py"] };
    const quiet = await checkPrompt(project, target, checks(["exit 4"]), outputs);
    expect(quiet.verdict.failure).toBe("exit 4: exit code 4");
    expect(quiet.verdict).not.toHaveProperty("timedOut");
    const slow = await checkPrompt(project, target, { ...checks(["sleep 30"]), timeoutMs: 100 }, outputs);
    expect(slow.verdict).toMatchObject({ failure: "sleep 30: timed out after 0.1 s", timedOut: true, passed: false });
  });
});
