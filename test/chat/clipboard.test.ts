// The chat round trip through a clipboard that works: `pc render --copy` hands the rendered prompt
// to the desktop's clipboard tool (wl-copy on Wayland, xsel on X11), and `pc accept --paste` reads
// the chat's answer back through it. The tools are stand-ins on PATH that keep what they receive in
// a file, so the test sees the exact bytes a user would paste.
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatAnswer } from "../support/chat.js";
import { runPc, type EnvChanges } from "../support/pc.js";
import { makeProject, readLockJson, readText, removeProject, type TempProject } from "../support/project.js";

const PROMPT = `---
version: 1
model: qwen2.5-coder:7b
seed: 1
temperature: 0
output: generated/hello.sh
---
Write a Bash script that prints "héllo, wörld" (keep the accents).
`;
const CODE = `#!/usr/bin/env bash\necho "héllo, wörld"\n`;

let project: TempProject;
let bin: string;

/** A stand-in clipboard tool: copies stdin into the clipboard file, or prints it, and logs its arguments. */
const standIn = (copyWhen: string) => `#!/bin/sh
echo "$(basename "$0") $*" >> "$CLIPBOARD_LOG"
case "$*" in
  *${copyWhen}*) cat > "$CLIPBOARD_FILE" ;;
  *) cat "$CLIPBOARD_FILE" ;;
esac
`;

beforeAll(async () => {
  project = await makeProject({ "prompts/hello.md": PROMPT });
  bin = project.path("bin");
  await mkdir(bin);
  const tools = { "wl-copy": standIn(""), "wl-paste": standIn("--never--"), xsel: standIn("--input") };
  for (const [name, script] of Object.entries(tools)) {
    await writeFile(path.join(bin, name), script);
    await chmod(path.join(bin, name), 0o755);
  }
});

afterAll(() => removeProject(project.root));

/** A desktop session of one kind, whose clipboard is the file `name` in the project. */
function desktop(kind: "wayland" | "x11", name: string): EnvChanges {
  return {
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    ...(kind === "wayland" ? { WAYLAND_DISPLAY: "wayland-9" } : { DISPLAY: ":9" }),
    CLIPBOARD_FILE: project.path(name),
    CLIPBOARD_LOG: project.path(`${name}.log`),
  };
}

describe("a clipboard that works", () => {
  for (const [kind, tool] of [
    ["wayland", "wl-copy --type text/plain"],
    ["x11", "xsel --clipboard --input"],
  ] as const) {
    it(`${kind}: pc render --copy puts the exact rendered prompt on the clipboard (${tool.split(" ")[0]})`, async () => {
      const rendered = await runPc(["render", "prompts/hello.md"], { cwd: project.root });
      expect(rendered.code).toBe(0);
      const copied = await runPc(["render", "prompts/hello.md", "--copy"], {
        cwd: project.root,
        env: desktop(kind, `${kind}.clip`),
      });
      expect(copied.code, copied.stderr).toBe(0);
      expect(await readFile(project.path(`${kind}.clip`))).toEqual(Buffer.from(rendered.stdout, "utf8"));
      expect(await readText(project.root, `${kind}.clip.log`)).toBe(`${tool}\n`);
      expect(copied.stdout).toBe(
        `Copied prompts/hello.md to the clipboard (${rendered.stdout.length.toLocaleString("en-US")} characters, ~${Math.ceil(rendered.stdout.length / 4)} tokens). ` +
          "Paste it into a chat, then: pc accept prompts/hello.md <answer-file>\n",
      );
      // The prompt itself is not printed, and no OSC 52 escape is sent.
      expect(copied.stdout).not.toContain("héllo");
      expect(copied.stderr).toBe("");
    });
  }

  it("pc render --copy --format json copies the messages as a server would get them", async () => {
    const json = await runPc(["render", "prompts/hello.md", "--format", "json"], { cwd: project.root });
    const copied = await runPc(["render", "prompts/hello.md", "--copy", "--format", "json"], {
      cwd: project.root,
      env: desktop("wayland", "json.clip"),
    });
    expect(copied.code, copied.stderr).toBe(0);
    expect(await readText(project.root, "json.clip")).toBe(json.stdout);
  });

  it("pc accept --paste records the chat's answer from the clipboard", async () => {
    const env = desktop("wayland", "answer.clip");
    await writeFile(env.CLIPBOARD_FILE!, chatAnswer([{ lang: "bash", code: CODE }]));
    const accepted = await runPc(["accept", "prompts/hello.md", "--paste", "--model", "chat"], {
      cwd: project.root,
      env,
    });
    expect(accepted.code, accepted.stderr).toBe(0);
    expect(accepted.stdout).toContain("wrote generated/hello.sh");
    expect(await readText(project.root, "generated/hello.sh")).toBe(CODE);
    expect((await readLockJson(project.root)).prompts["prompts/hello.md"]).toMatchObject({
      source: "chat",
      label: "chat",
    });
    expect(await readText(project.root, "answer.clip.log")).toMatch(/^wl-paste /);
    expect((await runPc(["check"], { cwd: project.root })).code).toBe(0);
  });
});
