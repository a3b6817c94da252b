// The lock entry a prompt's outputs are recorded with: what it proves (pins, hashes, where the
// bytes came from), as a user reads it in promptfile.lock.
import { afterAll, describe, expect, it } from "vitest";
import { accept } from "../../src/commands/accept.js";
import { PROTOCOL_VERSION } from "../../src/prompt/protocol.js";
import { cleanupProjects, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";
import { buildIn, outcomes } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);

const HASH = expect.stringMatching(/^sha256:[0-9a-f]{64}$/);

describe("the lock entry of a built prompt", () => {
  it("records the pins, the hashes of every input and output, and where the bytes came from", async () => {
    const project = await makeProject({
      "prompts/p.md": promptFile({ output: "generated/p.py", context: ["src/a.txt"], top_k: 40 }),
      "src/a.txt": "A\n",
    });
    await buildIn(project, server);
    const entry = (await project.lock()).prompts["prompts/p.md"]!;
    expect(Object.keys(entry).sort()).toEqual([
      "durationMs",
      "engine",
      "inputHash",
      "inputs",
      "model",
      "outputs",
      "protocol",
      "requestHash",
      "sampling",
      "seed",
      "source",
      "temperature",
      "usage",
      "version",
    ]);
    expect(entry).toMatchObject({
      version: 1,
      model: "test-model",
      seed: 42,
      temperature: 0,
      protocol: PROTOCOL_VERSION,
      source: "llm",
      inputHash: HASH,
      requestHash: HASH,
      inputs: { "prompts/p.md": HASH, "src/a.txt": HASH },
      outputs: { "generated/p.py": HASH },
      sampling: expect.objectContaining({ top_k: 40 }),
      usage: { promptTokens: expect.any(Number), completionTokens: expect.any(Number) },
    });
    expect(entry.inputHash).not.toBe(entry.requestHash);
  });

  it("records the context globs (and the check inputs' globs) so that a new match is noticed", async () => {
    const project = await makeProject({
      "prompts/p.md": promptFile({
        output: "generated/p.py",
        context: ["src/*.txt", "README.md"],
        check: "true",
        check_inputs: ["tests/*.py"],
      }),
      "src/a.txt": "A\n",
      "README.md": "R\n",
      "tests/t.py": "T\n",
    });
    await buildIn(project, server);
    expect((await project.lock()).prompts["prompts/p.md"]!.contextGlobs).toEqual(["src/*.txt", "tests/*.py"]);
    await project.write({ "tests/u.py": "U\n" });
    server.reset();
    // The checks' verdict no longer holds: restored from the cache (no model call) and checked again.
    expect(outcomes((await buildIn(project, server)).report)).toEqual({ "prompts/p.md": "cached" });
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("a chat answer restored from the cache is still recorded as a chat answer, with its label", async () => {
    const first = promptFile({ output: "generated/p.py", body: "First." });
    const project = await makeProject({ "prompts/p.md": first });
    await accept({ cwd: project.root, prompt: "prompts/p.md", answer: "```python\nx = 1\n```\n", label: "chat ui" });
    expect((await project.lock()).prompts["prompts/p.md"]).toMatchObject({ source: "chat", label: "chat ui" });
    await project.write({ "prompts/p.md": promptFile({ output: "generated/p.py", body: "Second." }) });
    await buildIn(project, server);
    expect((await project.lock()).prompts["prompts/p.md"]).toMatchObject({ source: "llm" });
    await project.write({ "prompts/p.md": first });
    server.reset();

    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toEqual({ "prompts/p.md": "cached" });
    expect(server.chatRequests()).toHaveLength(0);
    expect(await project.read("generated/p.py")).toBe("x = 1\n");
    const entry = (await project.lock()).prompts["prompts/p.md"]!;
    expect(entry).toMatchObject({ source: "chat", label: "chat ui" });
    expect(entry.engine).toBeUndefined();
  });

  it("a hand edit kept with pc accept is recorded as made by hand, with no engine, usage, duration or label", async () => {
    const project = await makeProject({ "prompts/p.md": promptFile({ output: "generated/p.py" }) });
    await buildIn(project, server);
    await project.write({ "generated/p.py": "x = 'mine'\n" });
    await accept({ cwd: project.root, prompt: "prompts/p.md" });
    const entry = (await project.lock()).prompts["prompts/p.md"]!;
    expect(entry).toMatchObject({ source: "hand", outputs: { "generated/p.py": HASH } });
    for (const key of ["engine", "usage", "durationMs", "label"]) expect(entry).not.toHaveProperty(key);
  });
});
