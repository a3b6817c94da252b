// Recording finished prompts in promptfile.lock as each finishes: what is on disk after each
// write, what a failed write leaves, and how prompts finishing during a write are recorded.
import path from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LockRecorder } from "../../src/execute/lock-recorder.js";
import { readLock } from "../../src/lock/lock-io.js";
import { emptyLock, serializeLock, type Lock, type LockEntry } from "../../src/lock/lockfile.js";
import { setBeforeRenameHook } from "../../src/util/fs.js";
import { PcError } from "../../src/util/errors.js";
import { cleanupProjects, makeProject } from "../support/project.js";

afterEach(() => setBeforeRenameHook(undefined));
afterAll(cleanupProjects);

const h = (c: string) => `sha256:${c.repeat(64)}`;
const entry = (c: string): LockEntry => ({
  version: 1,
  model: "m",
  seed: 1,
  temperature: 0,
  sampling: { top_p: 1 },
  protocol: 1,
  inputHash: h(c),
  requestHash: h(c),
  inputs: { [`prompts/${c}.md`]: h(c) },
  outputs: { [`generated/${c}.py`]: h(c) },
  source: "llm",
});

const isLock = (target: string) => path.basename(target) === "promptfile.lock";

/** The lock on disk, as the entries' input hashes by prompt. */
async function onDisk(root: string): Promise<Record<string, string>> {
  const { lock } = await readLock(root);
  return Object.fromEntries(Object.entries(lock.prompts).map(([p, e]) => [p, e.inputHash]));
}

describe("recording prompts in the lock", () => {
  it("writes each prompt as it finishes, keeping the entries it did not touch", async () => {
    const start: Lock = { lockfileVersion: 1, prompts: { "prompts/a.md": entry("a") } };
    const project = await makeProject({ "promptfile.lock": serializeLock(start) });
    const recorder = new LockRecorder(project.root, start, serializeLock(start));
    await recorder.record("prompts/b.md", entry("b"));
    expect(await onDisk(project.root)).toEqual({ "prompts/a.md": h("a"), "prompts/b.md": h("b") });
    await recorder.record("prompts/a.md", entry("c"));
    expect(await onDisk(project.root)).toEqual({ "prompts/a.md": h("c"), "prompts/b.md": h("b") });
    expect(await project.read("promptfile.lock")).toBe(serializeLock(start));
  });

  it("settles once every write asked for is on disk", async () => {
    const project = await makeProject();
    const recorder = new LockRecorder(project.root, emptyLock(), undefined);
    await recorder.settled(); // nothing asked: settled at once
    void recorder.record("prompts/a.md", entry("a"));
    void recorder.record("prompts/b.md", entry("b"));
    await recorder.settled();
    expect(await onDisk(project.root)).toEqual({ "prompts/a.md": h("a"), "prompts/b.md": h("b") });
  });

  it("does not write a lock whose bytes would not change", async () => {
    const start: Lock = { lockfileVersion: 1, prompts: { "prompts/a.md": entry("a") } };
    const text = serializeLock(start);
    const project = await makeProject({ "promptfile.lock": text });
    let writes = 0;
    setBeforeRenameHook((target) => void (isLock(target) && writes++));
    await new LockRecorder(project.root, start, text).record("prompts/a.md", entry("a"));
    expect(writes).toBe(0);
  });

  it("records prompts that finish during a write together, in the next write", async () => {
    const project = await makeProject();
    const lock = emptyLock();
    const recorder = new LockRecorder(project.root, lock, undefined);
    const written: string[][] = [];
    let release!: () => void;
    let reached!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const underWay = new Promise<void>((resolve) => (reached = resolve));
    setBeforeRenameHook(async (target) => {
      if (!isLock(target)) return;
      written.push(Object.keys(lock.prompts).sort());
      if (written.length > 1) return;
      reached();
      await held;
    });
    const first = recorder.record("prompts/a.md", entry("a"));
    await underWay; // the first write is under way, held before its rename
    const more = [recorder.record("prompts/b.md", entry("b")), recorder.record("prompts/c.md", entry("c"))];
    release();
    await Promise.all([first, ...more]);
    expect(written).toEqual([["prompts/a.md"], ["prompts/a.md", "prompts/b.md", "prompts/c.md"]]);
    expect(await onDisk(project.root)).toEqual({
      "prompts/a.md": h("a"),
      "prompts/b.md": h("b"),
      "prompts/c.md": h("c"),
    });
    await recorder.settled();
  });

  it("a write that fails rejects each prompt of it with PC_WRITE_FAILED and puts its entries back", async () => {
    const start: Lock = { lockfileVersion: 1, prompts: { "prompts/a.md": entry("a") } };
    const text = serializeLock(start);
    const project = await makeProject({ "promptfile.lock": text });
    const recorder = new LockRecorder(project.root, start, text);
    setBeforeRenameHook((target) => {
      if (isLock(target)) throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    });
    const results = await Promise.allSettled([
      recorder.record("prompts/a.md", entry("c")),
      recorder.record("prompts/b.md", entry("b")),
    ]);
    for (const [result, prompt] of [
      [results[0], "prompts/a.md"],
      [results[1], "prompts/b.md"],
    ] as const) {
      expect(result.status).toBe("rejected");
      const error = (result as PromiseRejectedResult).reason as PcError;
      expect(error).toBeInstanceOf(PcError);
      expect(error).toMatchObject({ code: "PC_WRITE_FAILED", file: prompt });
      expect(error.message).toBe("cannot write promptfile.lock: ENOSPC: no space left on device, write");
      expect(error.hint).toMatch(/^Free some disk space/);
    }
    // In memory as before the write: a's old entry, no b.
    expect(start.prompts).toStrictEqual({ "prompts/a.md": entry("a") });
    expect(await project.read("promptfile.lock")).toBe(text);

    // A later prompt is recorded once writes work again, without the entries that failed.
    setBeforeRenameHook(undefined);
    await recorder.record("prompts/d.md", entry("d"));
    expect(await onDisk(project.root)).toEqual({ "prompts/a.md": h("a"), "prompts/d.md": h("d") });
  });

  it("after a write, the next one writes even when the lock gets back to the bytes it started from", async () => {
    const start: Lock = { lockfileVersion: 1, prompts: { "prompts/a.md": entry("a") } };
    const text = serializeLock(start);
    const project = await makeProject({ "promptfile.lock": text });
    const recorder = new LockRecorder(project.root, start, text);
    await recorder.record("prompts/a.md", entry("b"));
    await recorder.record("prompts/a.md", entry("a"));
    expect(await project.read("promptfile.lock")).toBe(text);
  });
});
