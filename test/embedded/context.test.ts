// The embedded engine and a prompt longer than the model's context (real llama.cpp, tiny model):
// `pc build` fails that prompt, before generating anything, with its size in tokens, the context's,
// and how to fix it; the other prompts build, and nothing of the failed one is written.
import { afterAll, describe, expect, it } from "vitest";
import { runPc } from "../support/pc.js";
import { cleanupProjects } from "../support/project.js";
import { tinyProject, tinyPrompt } from "../support/tiny-project.js";

afterAll(cleanupProjects);

describe("an embedded prompt longer than the model's context", () => {
  it("fails with its size and the context's, and how to fix it; the short prompt builds", async () => {
    const project = await tinyProject({
      "long.md": { output: "generated/long.txt", body: "Repeat after me: " + "lorem ipsum dolor ".repeat(120) },
      "short.md": { output: "generated/short.txt", body: "Hi." },
    });
    await project.write({ "pc.config.json": `${JSON.stringify({ contextSize: 512 })}\n` });
    const run = await runPc(["build", "-j", "1"], { cwd: project.root });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /\n✗ prompts\/long\.md: The prompt is \d{3,} tokens; the model's context holds 512\.\n {2}Shorten the prompt or its context files, or raise contextSize in pc\.config\.json \(up to the model's own limit\)\.\n {2}\(PC_CONTEXT_EXCEEDED\)\n/,
    );
    expect(Number(/The prompt is (\d+) tokens/.exec(run.stderr)![1])).toBeGreaterThan(512);
    expect(run.stderr).toMatch(/✓ built\s+prompts\/short\.md → generated\/short\.txt/);
    expect(run.stderr).toContain("1 built, 0 from cache, 0 fresh, 1 failed");
    expect(project.exists("generated/long.txt")).toBe(false);
    expect(Object.keys((await project.lock()).prompts)).toEqual(["prompts/short.md"]);
    const status = await project.run(["status"]);
    expect(status.stdout).toMatch(
      /prompts\/long\.md\s+failed\s+generated\/long\.txt\s+-\s+last build failed: The prompt is \d+ tokens/,
    );
  });
});

describe("an embedded context too large for the machine", () => {
  // The tiny model keeps about 12 KB per token of context: 100,000,000 tokens would take about
  // 1.2 TB, which node-llama-cpp's memory estimate refuses before llama.cpp allocates anything.
  it("fails the prompt with the cause and how to fix it; its output and the lock stay as they were", async () => {
    const project = await tinyProject({ "a.md": { output: "generated/a.txt" } });
    const built = await runPc(["build"], { cwd: project.root });
    expect(built.code, built.stderr).toBe(0);
    const [lockBefore, outputBefore] = await Promise.all([
      project.read("promptfile.lock"),
      project.read("generated/a.txt"),
    ]);

    await project.write({
      "pc.config.json": `${JSON.stringify({ contextSize: 100_000_000 })}\n`,
      "prompts/a.md": tinyPrompt({ output: "generated/a.txt", body: "Say goodbye." }),
    });
    const run = await runPc(["build"], { cwd: project.root });
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /\n✗ prompts\/a\.md: .*Could not create a llama\.cpp context for models\/tiny\.gguf: A context size of 100000000 is too large for the available RAM.*\n {2}Lower the context size \(contextSize in pc\.config\.json\) or free memory\.\n {2}\(PC_ENGINE_ERROR\)\n/,
    );
    expect(run.stderr).toContain("0 built, 0 from cache, 0 fresh, 1 failed");
    expect(await project.read("generated/a.txt")).toBe(outputBefore);
    expect(await project.read("promptfile.lock")).toBe(lockBefore);
    const status = await project.run(["status"]);
    expect(status.stdout).toMatch(
      /prompts\/a\.md\s+failed\s+generated\/a\.txt\s+.*Could not create a llama\.cpp context/,
    );
  }, 180_000);
});
