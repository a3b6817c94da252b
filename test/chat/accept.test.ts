import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runPc } from "../support/pc.js";
import { removeProject, readText, readLockJson, makeProject } from "../support/project.js";
import { storedGenerations, chatAnswer } from "../support/chat.js";

const FIB_CODE = `import sys\n\nn = int(sys.argv[1]) if len(sys.argv) > 1 else 10\na, b = 0, 1\nfor _ in range(n):\n    print(a)\n    a, b = b, a + b\n`;

const PROJECT = {
  "prompts/fib.md": `---
version: 1
model: qwen2.5-coder:7b
seed: 7
temperature: 0
output: generated/fib.py
---
Write a Python script that prints the first N Fibonacci numbers (N from argv, default 10).
`,
  "prompts/greet.md": `---
version: 1
model: qwen2.5-coder:7b
seed: 7
temperature: 0
output: generated/greet.js
---
Write a JavaScript function greet(name) that returns "hi " + name.
`,
  "prompts/pair.md": `---
version: 1
model: qwen2.5-coder:7b
seed: 7
temperature: 0
outputs: [generated/pair/hello.py, generated/pair/hello.sh]
---
Write a Python and a Bash script that each print hello.
`,
};

const roots: string[] = [];
async function project(): Promise<string> {
  const root = (await makeProject(PROJECT)).root;
  roots.push(root);
  return root;
}

afterAll(async () => {
  for (const root of roots) await removeProject(root);
});

const sha = (text: string) => `sha256:${createHash("sha256").update(text).digest("hex")}`;

describe("pc accept <prompt> <answer>", () => {
  it("round trip: the rendered prompt's answer is extracted, written and recorded as a labelled chat answer", async () => {
    const root = await project();
    const rendered = await runPc(["render", "prompts/fib.md"], { cwd: root });
    expect(rendered.code).toBe(0);
    expect(rendered.stdout).toContain("Fibonacci");
    expect(rendered.stdout).toContain("generated/fib.py");

    const answer = chatAnswer([{ lang: "python", code: FIB_CODE }]);
    await writeFile(path.join(root, "answer.md"), answer);
    const accepted = await runPc(["accept", "prompts/fib.md", "answer.md", "--model", "chatgpt web"], { cwd: root });
    expect(accepted.stderr).toBe("");
    expect(accepted.code).toBe(0);
    expect(accepted.stdout).toContain("wrote generated/fib.py");

    expect(await readText(root, "generated/fib.py")).toBe(FIB_CODE);
    const entry = (await readLockJson(root)).prompts["prompts/fib.md"];
    expect(entry).toMatchObject({
      source: "chat",
      label: "chatgpt web",
      model: "qwen2.5-coder:7b",
      seed: 7,
      temperature: 0,
    });
    expect(entry.outputs).toEqual({ "generated/fib.py": sha(FIB_CODE) });
    expect(entry.engine).toBeUndefined();

    // The recorded input hash is the one pc computes for the prompt now: the lock proves it.
    const status = JSON.parse((await runPc(["status", "--json", "prompts/fib.md"], { cwd: root })).stdout);
    expect(status.prompts[0]).toMatchObject({ state: "fresh", source: "chat", label: "chatgpt web" });
    expect((await runPc(["status"], { cwd: root })).stdout).toMatch(
      /prompts\/fib\.md\s+fresh\s+generated\/fib\.py\s+chat \(chatgpt web\)/,
    );

    const generations = await storedGenerations(root);
    expect(generations).toHaveLength(1);
    expect(generations[0]).toMatchObject({
      prompt: "prompts/fib.md",
      source: "chat",
      label: "chatgpt web",
      raw: answer,
    });
    expect(generations[0].requestHash).toBe(entry.requestHash);
  });

  it("formats the code as pc build does, reading the answer from stdin", async () => {
    const root = await project();
    const answer = chatAnswer([{ lang: "javascript", code: `function greet(name){return "hi "+name}` }]);
    const accepted = await runPc(["accept", "prompts/greet.md", "-"], { cwd: root, input: answer });
    expect(accepted.code).toBe(0);
    expect(await readText(root, "generated/greet.js")).toBe(`function greet(name) {\n  return "hi " + name;\n}\n`);
    const entry = (await readLockJson(root)).prompts["prompts/greet.md"];
    expect(entry.source).toBe("chat");
    expect(entry.label).toBeUndefined();
    expect((await runPc(["check"], { cwd: root })).code).toBe(1); // fib and pair are still new
    expect((await runPc(["check", "prompts/greet.md"], { cwd: root })).code).toBe(0);
  });

  it("takes every output of a several-output prompt from the blocks labelled with their paths", async () => {
    const root = await project();
    const answer = chatAnswer([
      { label: "generated/pair/hello.sh", lang: "bash", code: `#!/usr/bin/env bash\necho hello\n` },
      { label: "generated/pair/hello.py", lang: "python", code: `print("hello")\n` },
    ]);
    await writeFile(path.join(root, "answer.md"), answer);
    expect((await runPc(["accept", "prompts/pair.md", "answer.md", "--model", "claude.ai"], { cwd: root })).code).toBe(
      0,
    );
    expect(await readText(root, "generated/pair/hello.py")).toBe(`print("hello")\n`);
    expect(await readText(root, "generated/pair/hello.sh")).toBe(`#!/usr/bin/env bash\necho hello\n`);
    expect((await runPc(["check", "prompts/pair.md"], { cwd: root })).code).toBe(0);
  });

  it("refuses an answer with no usable code block: exit 1, nothing written, lock and store untouched", async () => {
    const root = await project();
    const lockBefore = await readText(root, "promptfile.lock").catch(() => undefined);
    await writeFile(
      path.join(root, "prose.md"),
      "I cannot write that script, but here is how Fibonacci works: each number is the sum of the two before.\n",
    );
    const refused = await runPc(["accept", "prompts/fib.md", "prose.md", "--model", "chatgpt web"], { cwd: root });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("prose.md: the answer has no usable code block for generated/fib.py");
    expect(refused.stderr).toContain("Nothing was written");
    expect(refused.stderr).not.toContain("internal error");
    expect(existsSync(path.join(root, "generated/fib.py"))).toBe(false);
    expect(await readText(root, "promptfile.lock").catch(() => undefined)).toBe(lockBefore);
    expect(await storedGenerations(root)).toEqual([]);

    // Half an answer for a two-output prompt writes neither file.
    const half = chatAnswer([{ label: "generated/pair/hello.py", lang: "python", code: `print("hello")\n` }]);
    const partial = await runPc(["accept", "prompts/pair.md", "-"], { cwd: root, input: half });
    expect(partial.code).toBe(1);
    expect(partial.stderr).toContain("no usable code block for generated/pair/hello.sh");
    expect(existsSync(path.join(root, "generated/pair/hello.py"))).toBe(false);
    expect(await readText(root, "promptfile.lock").catch(() => undefined)).toBe(lockBefore);
  });

  it("refuses to overwrite a hand-edited output without --force", async () => {
    const root = await project();
    await writeFile(path.join(root, "answer.md"), chatAnswer([{ lang: "python", code: FIB_CODE }]));
    expect((await runPc(["accept", "prompts/fib.md", "answer.md"], { cwd: root })).code).toBe(0);
    const edited = `${FIB_CODE}print("done")\n`;
    await writeFile(path.join(root, "generated/fib.py"), edited);
    const lockBefore = await readText(root, "promptfile.lock");

    await writeFile(path.join(root, "second.md"), chatAnswer([{ lang: "python", code: `print(0)\n` }]));
    const refused = await runPc(["accept", "prompts/fib.md", "second.md", "--model", "gemini"], { cwd: root });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("generated/fib.py was edited by hand; it is not overwritten");
    expect(await readText(root, "generated/fib.py")).toBe(edited);
    expect(await readText(root, "promptfile.lock")).toBe(lockBefore);

    expect(
      (await runPc(["accept", "prompts/fib.md", "second.md", "--model", "gemini", "--force"], { cwd: root })).code,
    ).toBe(0);
    expect(await readText(root, "generated/fib.py")).toBe(`print(0)\n`);
    expect((await readLockJson(root)).prompts["prompts/fib.md"]).toMatchObject({ source: "chat", label: "gemini" });
  });

  it("a chat answer restored from the cache by pc build keeps its chat provenance", async () => {
    const root = await project();
    await writeFile(path.join(root, "answer.md"), chatAnswer([{ lang: "python", code: FIB_CODE }]));
    expect((await runPc(["accept", "prompts/fib.md", "answer.md", "--model", "chatgpt web"], { cwd: root })).code).toBe(
      0,
    );
    await rm(path.join(root, "generated/fib.py"));
    const built = await runPc(["build", "prompts/fib.md", "--offline"], { cwd: root });
    expect(built.code).toBe(0);
    expect(await readText(root, "generated/fib.py")).toBe(FIB_CODE);
    expect((await readLockJson(root)).prompts["prompts/fib.md"]).toMatchObject({
      source: "chat",
      label: "chatgpt web",
    });
  });

  it("rejects a label without an answer, and reading a missing clipboard, as clear errors", async () => {
    const root = await project();
    const label = await runPc(["accept", "prompts/fib.md", "--model", "chatgpt web"], { cwd: root });
    expect(label.code).toBe(2);
    expect(label.stderr).toContain("--model labels a chat answer");
    const paste = await runPc(["accept", "prompts/fib.md", "--paste"], { cwd: root });
    expect(paste.code).toBe(1);
    expect(paste.stderr).toContain("cannot read the clipboard: neither DISPLAY nor WAYLAND_DISPLAY is set");
    expect(paste.stderr).toContain("pc accept prompts/fib.md -");
    const missing = await runPc(["accept", "prompts/fib.md", "nope.md"], { cwd: root });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('answer file "nope.md" does not exist');
    expect(existsSync(path.join(root, "generated/fib.py"))).toBe(false);
  });
});

describe("pc accept <prompt> (adopt what is on disk)", () => {
  it("adopts a hand edit so pc check passes again, recorded as source hand", async () => {
    const root = await project();
    await writeFile(path.join(root, "answer.md"), chatAnswer([{ lang: "python", code: FIB_CODE }]));
    expect((await runPc(["accept", "prompts/fib.md", "answer.md", "--model", "chatgpt web"], { cwd: root })).code).toBe(
      0,
    );
    const edited = FIB_CODE.replace("else 10", "else 20");
    await writeFile(path.join(root, "generated/fib.py"), edited);
    const drifted = await runPc(["check", "prompts/fib.md"], { cwd: root });
    expect(drifted.code).toBe(1);
    expect(drifted.stdout).toContain("generated/fib.py was edited by hand");

    const adopted = await runPc(["accept", "prompts/fib.md"], { cwd: root });
    expect(adopted.code).toBe(0);
    expect(adopted.stdout).toContain('recorded as source "hand" (was "chat")');
    expect(await readText(root, "generated/fib.py")).toBe(edited);
    const entry = (await readLockJson(root)).prompts["prompts/fib.md"];
    expect(entry).toMatchObject({ source: "hand", outputs: { "generated/fib.py": sha(edited) } });
    expect(entry.label).toBeUndefined();
    expect((await runPc(["check", "prompts/fib.md"], { cwd: root })).code).toBe(0);
    expect((await runPc(["status", "prompts/fib.md"], { cwd: root })).stdout).toMatch(
      /fresh\s+generated\/fib\.py\s+hand/,
    );

    // Adopting a fresh prompt again changes nothing, not even the lock's bytes.
    const lockBefore = await readText(root, "promptfile.lock");
    const again = await runPc(["accept", "prompts/fib.md"], { cwd: root });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("already fresh");
    expect(await readText(root, "promptfile.lock")).toBe(lockBefore);
  });

  it("adopts a file written before any build, and refuses one that does not exist", async () => {
    const root = await project();
    await mkdir(path.join(root, "generated"), { recursive: true });
    await writeFile(path.join(root, "generated/greet.js"), "export const greet = (name) => `hi ${name}`;\n");
    expect((await runPc(["check", "prompts/greet.md"], { cwd: root })).code).toBe(1);
    expect((await runPc(["accept", "generated/greet.js"], { cwd: root })).code).toBe(0); // an output names its prompt too
    expect((await runPc(["check", "prompts/greet.md"], { cwd: root })).code).toBe(0);

    const lockBefore = await readText(root, "promptfile.lock");
    const missing = await runPc(["accept", "prompts/fib.md"], { cwd: root });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("cannot adopt generated/fib.py: it does not exist");
    expect(await readText(root, "promptfile.lock")).toBe(lockBefore);
  });
});
