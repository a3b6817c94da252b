/** verify() against the OpenAI-compatible test server: no cache, no writes, and why answers differ. */
import { createHash } from "node:crypto";
import { readFile, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { verify } from "../../src/commands/verify.js";
import { fencedAnswer } from "../support/openai-server.js";
import { removeProject, makeProject } from "../support/project.js";
import { useTestServer, closedPort } from "../support/test-server.js";

const server = useTestServer({ slots: 4, promptCache: true });
let root: string;

function prompt(output: string, body: string): string {
  return [
    "---",
    "version: 1",
    "model: test-model",
    "seed: 7",
    "temperature: 0",
    `output: ${output}`,
    "---",
    body,
    "",
  ].join("\n");
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    result[path.relative(dir, file)] = `${(await stat(file)).mtimeMs} ${createHash("sha256")
      .update(await readFile(file))
      .digest("hex")}`;
  }
  return result;
}

beforeAll(async () => {
  root = (
    await makeProject(
      {
        "prompts/a.md": prompt("generated/a.py", "Write generated/a.py."),
        "prompts/b.md": prompt("generated/b.py", "Write generated/b.py."),
      },
      "pc-verify-",
    )
  ).root;
  const report = await build({ cwd: root, baseUrl: server.baseURL });
  expect(report.totals.built).toBe(2);
});

afterAll(() => removeProject(root));

describe("verify with a server engine", () => {
  it("asks the model again for every prompt, even with a cached generation, and writes nothing", async () => {
    const before = await snapshot(root);
    const report = await verify({ cwd: root, baseUrl: server.baseURL });
    expect(report.prompts.map((p) => [p.prompt, p.outcome])).toEqual([
      ["prompts/a.md", "reproducible"],
      ["prompts/b.md", "reproducible"],
    ]);
    expect(report.ok).toBe(true);
    expect(server.chatRequests()).toHaveLength(2);
    expect(await snapshot(root)).toEqual(before);
  });

  it("reports a different answer with a diff, what the server says about slots and caching, and the common causes", async () => {
    server.setAnswer(fencedAnswer("print('a different answer')", "python"));
    const before = await snapshot(root);
    const report = await verify({ cwd: root, baseUrl: server.baseURL, paths: ["prompts/a.md"] });
    expect(report.ok).toBe(false);
    const [a] = report.prompts;
    expect(a).toMatchObject({ prompt: "prompts/a.md", outcome: "differs", engine: "openai" });
    expect(a!.reasons).toEqual(["generated/a.py regenerates to other bytes than the lock records"]);
    expect(a!.outputs[0]!.diff).toContain("+print('a different answer')");
    expect(a!.outputs[0]!.diff).toMatch(/\n-# answer [0-9a-f]{16}\n/);
    const hints = a!.hints.join("\n");
    expect(hints).toContain("4 parallel slots (/props total_slots)");
    expect(hints).toContain("cache_prompt: true");
    expect(hints).toMatch(/GPU nondeterminism/);
    expect(hints).toMatch(/a different model file or quantization/);
    expect(await snapshot(root)).toEqual(before);
  });

  it("does not regenerate prompts it cannot check: not built, or changed since the lock", async () => {
    await writeFile(path.join(root, "prompts/new.md"), prompt("generated/new.py", "Write generated/new.py."));
    const original = await readFile(path.join(root, "prompts/b.md"), "utf8");
    await writeFile(path.join(root, "prompts/b.md"), original.replace("seed: 7", "seed: 8"));
    try {
      const report = await verify({ cwd: root, baseUrl: server.baseURL, paths: ["prompts/new.md", "prompts/b.md"] });
      const byPrompt = Object.fromEntries(report.prompts.map((p) => [p.prompt, p]));
      expect(byPrompt["prompts/new.md"]!.outcome).toBe("not-built");
      expect(byPrompt["prompts/b.md"]!.outcome).toBe("unverifiable");
      expect(byPrompt["prompts/b.md"]!.reasons).toContain("seed changed: 7 -> 8");
      expect(report.ok).toBe(true);
      expect(server.chatRequests()).toHaveLength(0);
    } finally {
      await rm(path.join(root, "prompts/new.md"));
      await writeFile(path.join(root, "prompts/b.md"), original);
    }
  });

  it("fails a prompt when the server cannot be reached", async () => {
    const closed = { baseURL: `http://127.0.0.1:${await closedPort()}/v1` };
    const report = await verify({ cwd: root, baseUrl: closed.baseURL, paths: ["prompts/a.md"], retries: 0 });
    expect(report.ok).toBe(false);
    expect(report.prompts[0]).toMatchObject({ outcome: "failed" });
    expect(report.prompts[0]!.error!.code).toBe("PC_ENGINE_UNREACHABLE");
  });
});
