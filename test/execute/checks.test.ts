import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TAIL_LINES, failingLine, runChecks } from "../../src/execute/checks.js";

const root = mkdtempSync(path.join(tmpdir(), "pc-checks-"));
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
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    // Killed at once; reaped by init soon after.
    await expect.poll(alive, { timeout: 5000 }).toBe(false);
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
