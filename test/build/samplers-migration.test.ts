// A project whose lock was written before pc pinned every sampler (this repository's own prompts,
// as they were): each prompt is stale with one reason, and a build carries over what the server's
// samplers never made (hand edits, chat answers) without a model call, regenerating the rest.
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { check, status } from "../../src/index.js";
import { useTestServer } from "../support/test-server.js";
import { cleanupProjects, makeProject, type FileTree } from "../support/project.js";
import { buildIn, outcomes, requestedOutputs } from "../support/build.js";

const server = useTestServer();
afterAll(cleanupProjects);

const FIXTURE = path.join(import.meta.dirname, "../fixtures/before-samplers");

async function fixture(): Promise<FileTree> {
  const tree: FileTree = {};
  for (const file of await readdir(FIXTURE, { recursive: true, withFileTypes: true })) {
    if (!file.isFile()) continue;
    const full = path.join(file.parentPath, file.name);
    tree[path.relative(FIXTURE, full).split(path.sep).join("/")] = await readFile(full);
  }
  return tree;
}

/** The fixture's lock entries, as JSON: each test changes the ones it is about. */
type FixtureLock = { prompts: Record<string, Record<string, unknown>> };

/** Edits the lock of a fixture's files in place; returns the lock as edited. */
function editLock(tree: FileTree, edit: (lock: FixtureLock) => void): FixtureLock {
  const lock = JSON.parse(String(tree["promptfile.lock"])) as FixtureLock;
  edit(lock);
  tree["promptfile.lock"] = `${JSON.stringify(lock, null, 2)}\n`;
  return lock;
}

describe("a lock recorded before pc pinned every sampler", () => {
  it("makes every prompt stale with one reason, which says a build carries hand edits over", async () => {
    const project = await makeProject(await fixture());
    const report = await status({ cwd: project.root });
    expect(report.prompts.map((p) => p.state)).toEqual(report.prompts.map(() => "stale"));
    for (const p of report.prompts) {
      expect(p.reasons[0]).toMatch(/^pc now pins the server's samplers/);
      expect(p.reasons[0]).toContain("kept by hand");
    }
  });

  it("an entry that records no sampling at all (written by hand, or by an older pc) is stale with the same one reason", async () => {
    const tree = await fixture();
    editLock(tree, (lock) => delete lock.prompts["prompts/wordfreq.md"].sampling);
    const project = await makeProject(tree);
    const report = await status({ cwd: project.root });
    const wordfreq = report.prompts.find((p) => p.prompt === "prompts/wordfreq.md")!;
    expect(wordfreq.state).toBe("stale");
    expect(wordfreq.reasons[0]).toMatch(/^pc now pins the server's samplers/);
  });

  it("a build carries hand edits over without a model call, and regenerates what a server's defaults made", async () => {
    const tree = await fixture();
    // One entry as a server once generated it: its bytes came from the server's sampler defaults.
    editLock(tree, (lock) =>
      Object.assign(lock.prompts["prompts/backup.md"], {
        source: "llm",
        engine: { engine: "openai", model: "qwen2.5-coder:7b" },
      }),
    );
    const project = await makeProject(tree);
    const before = await project.read("generated/wordfreq.py");

    const { report } = await buildIn(project, server);
    expect(report.ok).toBe(true);
    expect(server.chatRequests()).toHaveLength(1);
    expect(outcomes(report)).toMatchObject({
      "prompts/backup.md": "built",
      "prompts/wordfreq.md": "cached",
      "prompts/slugify.md": "cached",
    });
    const entries = (await project.lock()).prompts;
    expect(entries["prompts/wordfreq.md"]).toMatchObject({
      source: "hand",
      sampling: { top_k: 0, min_p: 0, repeat_penalty: 1 },
    });
    expect(entries["prompts/backup.md"]!.source).toBe("llm");
    expect(await project.read("generated/wordfreq.py")).toBe(before);
    expect((await check({ cwd: project.root })).ok).toBe(true);
  });

  it("does not carry over a hand-kept output deleted since: it is generated again", async () => {
    const tree = await fixture();
    delete tree["generated/wordfreq.py"];
    const project = await makeProject(tree);

    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toMatchObject({ "prompts/wordfreq.md": "built" });
    // The prompt that reads it is built again too: what it reads changed.
    expect(requestedOutputs(server)).toEqual(["generated/wordfreq.py", "generated/test_wordfreq.py"]);
    expect(project.exists("generated/wordfreq.py")).toBe(true);
    expect((await project.lock()).prompts["prompts/wordfreq.md"]!.source).toBe("llm");
    expect((await check({ cwd: project.root })).ok).toBe(true);
  });

  it("carries over what the embedded engine made (it ran the neutral samplers), its identity without the old sampler keys", async () => {
    const tree = await fixture();
    const engine = {
      engine: "embedded",
      model: "tiny.gguf",
      contextSize: 2048,
      topK: 40,
      minP: 0.05,
      repeatPenalty: 1.1,
    };
    const lock = editLock(tree, (edited) =>
      Object.assign(edited.prompts["prompts/backup.md"], {
        source: "llm",
        engine,
        usage: { promptTokens: 7, completionTokens: 9 },
      }),
    );
    const project = await makeProject(tree);
    const before = await project.read("generated/backup.sh");

    const { report } = await buildIn(project, server, { paths: ["prompts/backup.md"] });
    expect(outcomes(report)).toEqual({ "prompts/backup.md": "cached" });
    expect(report.prompts[0]!.source).toBe("llm");
    expect(server.chatRequests()).toHaveLength(0);
    expect(await project.read("generated/backup.sh")).toBe(before);
    const entry = (await project.lock()).prompts["prompts/backup.md"]!;
    expect(entry).toMatchObject({
      source: "llm",
      usage: { promptTokens: 7, completionTokens: 9 },
      sampling: { top_k: 0, min_p: 0, repeat_penalty: 1 },
      outputs: lock.prompts["prompts/backup.md"].outputs,
    });
    expect(entry.engine).toStrictEqual({ engine: "embedded", model: "tiny.gguf", contextSize: 2048 });
    expect(entry.requestHash).not.toBe(lock.prompts["prompts/backup.md"].requestHash);
    expect((await status({ cwd: project.root })).prompts.find((p) => p.prompt === "prompts/backup.md")!.state).toBe(
      "fresh",
    );
  });

  it("a chat answer and an embedded generation are carried over too, each saying why, keeping their source", async () => {
    const tree = await fixture();
    editLock(tree, (lock) => {
      Object.assign(lock.prompts["prompts/wordfreq.md"], { source: "chat", label: "web-chat" });
      Object.assign(lock.prompts["prompts/slugify.md"], {
        source: "llm",
        engine: { engine: "embedded", model: "tiny.gguf" },
      });
      // Generated by a server, recorded by a pc that did not record the engine.
      lock.prompts["prompts/backup.md"].source = "llm";
      expect(lock.prompts["prompts/backup.md"].engine).toBeUndefined();
    });
    const project = await makeProject(tree);

    const reasons = Object.fromEntries((await status({ cwd: project.root })).prompts.map((p) => [p.prompt, p.reasons]));
    const pinned =
      "pc now pins the server's samplers (top_k, min_p, repeat_penalty ... were left to the server's defaults when this was recorded)";
    expect(reasons["prompts/wordfreq.md"]).toEqual([
      `${pinned}; pc build carries its outputs (a chat answer) over without a model call`,
    ]);
    expect(reasons["prompts/slugify.md"]).toEqual([
      `${pinned}; pc build carries its outputs (made by the embedded engine, which already ran the neutral samplers) over without a model call`,
    ]);
    expect(reasons["prompts/lock-report.md"]).toEqual([
      `${pinned}; pc build carries its outputs (kept by hand) over without a model call`,
    ]);
    expect(reasons["prompts/backup.md"]).toEqual([pinned]);

    const { report } = await buildIn(project, server);
    expect(server.chatRequests()).toHaveLength(1);
    expect(outcomes(report)).toMatchObject({
      "prompts/backup.md": "built",
      "prompts/wordfreq.md": "cached",
      "prompts/slugify.md": "cached",
    });
    const entries = (await project.lock()).prompts;
    expect(entries["prompts/wordfreq.md"]).toMatchObject({ source: "chat", label: "web-chat" });
    expect(entries["prompts/slugify.md"]).toMatchObject({ source: "llm", engine: { engine: "embedded" } });
    expect((await check({ cwd: project.root })).ok).toBe(true);
  });

  it("an entry pc lock --repair marked stale, or of a prompt edited since, is regenerated, not carried over", async () => {
    const tree = await fixture();
    const repaired = "generated/lock-report.mjs did not match the lock (pc lock --repair)";
    editLock(tree, (lock) => void (lock.prompts["prompts/lock-report.md"].stale = repaired));
    tree["prompts/backup.md"] = `${String(tree["prompts/backup.md"])}\nKeep it POSIX.\n`;
    const project = await makeProject(tree);

    const byPrompt = Object.fromEntries((await status({ cwd: project.root })).prompts.map((p) => [p.prompt, p]));
    expect(byPrompt["prompts/lock-report.md"]).toMatchObject({
      state: "stale",
      reasons: [
        repaired,
        "pc now pins the server's samplers (top_k, min_p, repeat_penalty ... were left to the server's defaults when this was recorded)",
      ],
    });
    expect(byPrompt["prompts/backup.md"]).toMatchObject({ state: "stale", reasons: ["prompts/backup.md changed"] });

    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toMatchObject({
      "prompts/lock-report.md": "built",
      "prompts/backup.md": "built",
      "prompts/wordfreq.md": "cached",
    });
    expect(requestedOutputs(server).sort()).toEqual(["generated/backup.sh", "generated/lock-report.mjs"]);
    const entries = (await project.lock()).prompts;
    expect(entries["prompts/lock-report.md"]).toMatchObject({ source: "llm" });
    expect(entries["prompts/lock-report.md"]!.stale).toBeUndefined();
  });

  it("an entry with no request hash (an older pc) names the samplers sent now, and is regenerated", async () => {
    const tree = await fixture();
    editLock(tree, (lock) => delete lock.prompts["prompts/backup.md"].requestHash);
    const project = await makeProject(tree);
    const backup = (await status({ cwd: project.root })).prompts.find((p) => p.prompt === "prompts/backup.md")!;
    expect(backup.state).toBe("stale");
    expect(backup.reasons).toContain("sampler top_k changed: (unset) -> 0");
    expect(backup.reasons.filter((r) => !r.startsWith("sampler "))).toEqual([]);
    const { report } = await buildIn(project, server);
    expect(outcomes(report)).toMatchObject({ "prompts/backup.md": "built", "prompts/wordfreq.md": "cached" });
    expect(requestedOutputs(server)).toEqual(["generated/backup.sh"]);
  });

  it("a sampler pinned later is a visible reason in pc status", async () => {
    const project = await makeProject(await fixture());
    await buildIn(project, server);
    const text = await project.read("prompts/wordfreq.md");
    await project.write({ "prompts/wordfreq.md": text.replace("seed: 42\n", "seed: 42\nmin_p: 0.05\n") });
    const stale = (await status({ cwd: project.root })).prompts.find((p) => p.prompt === "prompts/wordfreq.md")!;
    expect(stale.state).toBe("stale");
    expect(stale.reasons).toContain("sampler min_p changed: 0 -> 0.05");
  });
});
