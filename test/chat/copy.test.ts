import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, pcEnv, runPc } from "../support/pc.js";
import { removeProject, makeProject } from "../support/project.js";

let root: string;

beforeAll(async () => {
  root = (
    await makeProject({
      "prompts/hello.md": `---
version: 1
model: qwen2.5-coder:7b
seed: 1
temperature: 0
output: generated/hello.sh
---
Write a Bash script that prints "héllo, wörld" (keep the accents).
`,
    })
  ).root;
});

afterAll(async () => {
  await removeProject(root);
});

/** Runs `pc` inside a pseudo-terminal (util-linux `script`), as a user at a terminal would. */
function inTerminal(args: string[], env: NodeJS.ProcessEnv): { code: number | null; output: string } {
  const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
  const result = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: root, env, encoding: "utf8", input: "" });
  return { code: result.status, output: result.stdout };
}

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

describe("pc render --copy with no clipboard", () => {
  it("says so clearly (exit 1, no stack, a way out) when there is no terminal either", async () => {
    const result = await runPc(["render", "prompts/hello.md", "--copy"], { cwd: root });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain(
      "cannot copy: no clipboard is available (neither DISPLAY nor WAYLAND_DISPLAY is set)",
    );
    expect(result.stderr).toContain("pc render prompts/hello.md > prompt.txt");
    expect(result.stderr).toContain("PC_CLIPBOARD_UNAVAILABLE");
    expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  it.runIf(hasScript)("sends the exact rendered prompt to the terminal as OSC 52 and reports its size", async () => {
    const rendered = (await runPc(["render", "prompts/hello.md"], { cwd: root })).stdout;
    const { code, output } = inTerminal(["render", "prompts/hello.md", "--copy"], pcEnv());
    expect(code).toBe(0);
    const escape = /\x1b\]52;c;([A-Za-z0-9+/=]+)\x07/.exec(output);
    expect(escape).not.toBeNull();
    expect(Buffer.from(escape![1], "base64").toString("utf8")).toBe(rendered);
    expect(output).toContain(
      `(${rendered.length.toLocaleString("en-US")} characters, ~${Math.ceil(rendered.length / 4)} tokens)`,
    );
    expect(output).toContain("OSC 52");
  });

  it.runIf(hasScript)(
    "falls back to OSC 52 when a display is set but its clipboard fails (no X server behind it)",
    async () => {
      const json = JSON.parse((await runPc(["render", "prompts/hello.md", "--format", "json"], { cwd: root })).stdout);
      const { code, output } = inTerminal(
        ["render", "prompts/hello.md", "--copy", "--format", "json"],
        pcEnv({ DISPLAY: ":93" }),
      );
      expect(code).toBe(0);
      const escape = /\x1b\]52;c;([A-Za-z0-9+/=]+)\x07/.exec(output);
      expect(JSON.parse(Buffer.from(escape![1], "base64").toString("utf8"))).toEqual(json);
    },
  );
});
