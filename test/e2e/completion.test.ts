import { execFile, execFileSync } from "node:child_process";
import { chmod, mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runPc } from "../support/pc.js";
import { removeProject, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";

const hasZsh = (() => {
  try {
    execFileSync("zsh", ["-c", "true"]);
    return true;
  } catch {
    return false;
  }
})();

let root: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  root = (
    await makeProject({
      "prompts/alpha.md": promptFile({ output: "generated/alpha.py" }),
      "prompts/sub/be ta.md": promptFile({ output: "generated/beta.py" }),
      "prompts/_part.md": "A partial.\n",
    })
  ).root;
  // The scripts call `pc` to list prompts: put the built binary on PATH.
  await mkdir(path.join(root, ".bin"));
  await writeFile(path.join(root, ".bin/pc"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  await chmod(path.join(root, ".bin/pc"), 0o755);
  env = { ...process.env, PATH: `${path.join(root, ".bin")}:${process.env.PATH}` };
});

afterAll(async () => {
  await removeProject(root);
});

/** What bash offers for the command line `words` (the last word is the one being completed). */
function complete(...words: string[]): Promise<string[]> {
  const script =
    'source <(pc completion bash); COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _pc; printf "%s\\n" "${COMPREPLY[@]}"';
  return new Promise((resolve, reject) => {
    execFile("bash", ["-c", script, "bash", ...words], { cwd: root, env }, (error, stdout, stderr) =>
      error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout.split("\n").filter(Boolean).sort()),
    );
  });
}

describe("pc completion bash", () => {
  it("is valid bash", async () => {
    const run = await runPc(["completion", "bash"], { cwd: root });
    expect(run.code).toBe(0);
    execFileSync("bash", ["-n"], { input: run.stdout });
    expect(run.stdout).toContain("complete -o filenames -F _pc pc");
  });

  it("completes commands, flags and flag values", async () => {
    expect(await complete("pc", "")).toEqual([
      "accept",
      "build",
      "check",
      "completion",
      "diff",
      "doctor",
      "gc",
      "graph",
      "init",
      "lock",
      "log",
      "render",
      "seed",
      "status",
      "ui",
      "verify",
      "watch",
    ]);
    expect(await complete("pc", "build", "--m")).toEqual(["--metrics"]);
    expect(await complete("pc", "build", "--no")).toEqual(["--no-cache"]);
    expect(await complete("pc", "graph", "--format", "")).toEqual(["dot", "json", "mermaid"]);
    expect(await complete("pc", "render", "--format", "m")).toEqual(["markdown"]);
    expect(await complete("pc", "seed", "--p")).toEqual(["--pin"]);
    expect(await complete("pc", "completion", "")).toEqual(["bash", "zsh"]);
    expect(await complete("pc", "build", "-j", "")).toEqual([]);
  });

  it("completes prompt paths (not partials) and folders", async () => {
    expect(await complete("pc", "build", "prompts/")).toEqual([
      "prompts/alpha.md",
      "prompts/sub",
      "prompts/sub/be ta.md",
    ]);
    expect(await complete("pc", "render", "prompts/a")).toEqual(["prompts/alpha.md"]);
    expect(await complete("pc", "graph", "--format", "dot", "prompts/s")).toEqual([
      "prompts/sub",
      "prompts/sub/be ta.md",
    ]);
  });
});

describe("pc completion zsh", () => {
  it.skipIf(!hasZsh)("is valid zsh and registers _pc for pc", async () => {
    const run = await runPc(["completion", "zsh"], { cwd: root });
    expect(run.code).toBe(0);
    execFileSync("zsh", ["-n"], { input: run.stdout });
    const registered = execFileSync(
      "zsh",
      [
        "-f",
        "-c",
        `autoload -Uz compinit && compinit -u -d ${root}/.zcompdump && eval "$(pc completion zsh)" && print -r -- $_comps[pc]`,
      ],
      { cwd: root, env },
    ).toString();
    expect(registered.trim()).toBe("_pc");
  });
});

describe("pc completion", () => {
  it("lists the project's prompts for the scripts", async () => {
    const run = await runPc(["completion", "--list-prompts"], { cwd: root });
    expect(run.stdout).toBe("prompts/alpha.md\nprompts/sub/be ta.md\n");
  });

  it("lists them relative to a subfolder the shell is in, as pc takes paths there", async () => {
    const run = await runPc(["completion", "--list-prompts"], { cwd: `${root}/prompts/sub` });
    expect(run.stdout).toBe("../alpha.md\nbe ta.md\n");
  });

  it("refuses an unknown shell", async () => {
    const run = await runPc(["completion", "fish"], { cwd: root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('pc completion knows bash and zsh, not "fish"');
  });
});
