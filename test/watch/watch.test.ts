import { readdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { sha256 } from "../../src/util/fs.js";
import { defaultAnswer, fencedAnswer } from "../support/openai-server.js";
import { WatchProcess } from "../support/watch-process.js";
import { writeFiles, removeProject, readText, readLockJson, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer, testServer } from "../support/test-server.js";

const server = useTestServer();
let root: string | undefined;
let watcher: WatchProcess | undefined;

afterEach(async () => {
  await watcher?.stop();
  watcher = undefined;
  if (root) await removeProject(root);
  root = undefined;
});

const A = "prompts/a.md";
const a = (body: string) => promptFile({ output: "generated/a.ts", body });
const lastUserMessage = (i: number) => String(server.chatRequests()[i]!.body.messages.at(-1)!.content);

async function startWatching(files: Record<string, string>, args: string[] = []): Promise<WatchProcess> {
  root = (await makeProject(files, "pc-watch-")).root;
  watcher = new WatchProcess(root, ["--base-url", server.baseURL, "--retries", "0", ...args]);
  await watcher.next((e) => e.event === "ready");
  await watcher.idle();
  return watcher;
}

describe("pc watch", () => {
  it("counts an editor's atomic save (write a temp file, rename it over the prompt)", async () => {
    const w = await startWatching({ [A]: a("Before.") });
    const from = w.events.length;
    await writeFile(path.join(root!, "prompts/.a.md.swp"), a("After an atomic save."));
    await rename(path.join(root!, "prompts/.a.md.swp"), path.join(root!, A));
    await w.idle(from);
    expect(w.of("change", from)).toEqual([{ event: "change", paths: [A] }]);
    expect(lastUserMessage(1)).toContain("After an atomic save.");
  });

  it("never builds because of its own writes: outputs read by other prompts, the lock, .pc/", async () => {
    // Each answer takes 300 ms, so pc writes a's output while b (which reads it) is still generating.
    const slow = await testServer({ latencyMs: 300 });
    try {
      root = (
        await makeProject(
          {
            [A]: a("Write a."),
            // b reads a's output by name and through a glob, so both kinds of watch see pc's writes.
            "prompts/b.md": promptFile({
              output: "generated/b.py",
              context: ["generated/a.ts", "generated/*.ts"],
              body: "Write b.",
            }),
            "generated/types.ts": "export type T = 1;\n",
            "prompts/c.md": promptFile({ output: "generated/c.py", body: "Write c." }),
          },
          "pc-watch-",
        )
      ).root;
      const w = (watcher = new WatchProcess(root, ["--base-url", slow.baseURL, "--retries", "0"]));
      await w.next((e) => e.event === "ready");
      await w.idle();
      expect(slow.chatRequests().length).toBe(3);
      let from = w.events.length;
      await writeFile(path.join(root, A), a("Write a, again."));
      await w.idle(from);
      expect(w.of("change", from)).toEqual([{ event: "change", paths: [A] }]);
      expect(w.of("cancelled", from)).toEqual([]);
      expect(w.of("done", from).map((e) => [e.prompt, e.outcome])).toEqual([
        [A, "built"],
        ["prompts/b.md", "built"],
      ]);

      // Anything pc's writes had set off would reach the next change event before (or with) this one.
      from = w.events.length;
      await writeFile(
        path.join(root, "prompts/c.md"),
        promptFile({ output: "generated/c.py", body: "Write c, again." }),
      );
      await w.idle(from);
      expect(
        w.events
          .slice(from)
          .filter((e) => e.event !== "progress")
          .map((e) => e.event),
      ).toEqual(["change", "start", "done", "idle"]);
      expect(w.of("change", from)).toEqual([{ event: "change", paths: ["prompts/c.md"] }]);
      expect(slow.chatRequests().length).toBe(6);
    } finally {
      await watcher?.stop();
    }
  });

  it("cancels a generation when its prompt is edited again, and generates the new content", async () => {
    let firstArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (firstArrived = resolve));
    // The first edit's answer streams for seconds (tokenDelayMs); the others are short.
    const slow = await testServer({
      tokenDelayMs: 20,
      answer: (body, index) => (index === 1 ? slowAnswer(firstArrived) : defaultAnswer(body)),
    });
    try {
      root = (await makeProject({ [A]: a("First.") }, "pc-watch-")).root;
      const w = (watcher = new WatchProcess(root, ["--base-url", slow.baseURL, "--retries", "0"]));
      await w.next((e) => e.event === "ready");
      await w.idle();
      const from = w.events.length;
      await writeFile(path.join(root, A), a("Second, slow to answer."));
      await w.next((e) => e.event === "start" && e.prompt === A, from);
      await arrived;
      await writeFile(path.join(root, A), a("Third, edited while the second was generating."));
      const cancelled = await w.next((e) => e.event === "cancelled", from);
      expect(cancelled.prompt).toBe(A);
      await w.idle(from);
      const results = w.events
        .slice(from)
        .filter((e) => e.event === "done" || e.event === "failed")
        .map((e) => [e.outcome, e.prompt]);
      expect(results).toEqual([
        ["skipped", A],
        ["built", A],
      ]);
      expect(slow.chatRequests().length).toBe(3);
      expect(String(slow.chatRequests()[2]!.body.messages.at(-1)!.content)).toContain("Third, edited");
      const output = await readText(root, "generated/a.ts");
      expect(output).not.toContain("slow line");
      expect((await readLockJson(root)).prompts[A]!.inputs[A]).toBe(
        sha256(a("Third, edited while the second was generating.")),
      );
    } finally {
      await watcher?.stop();
    }
  });

  it("reports a failed build and keeps watching", async () => {
    const w = await startWatching({ [A]: a("Fine.") });
    let from = w.events.length;
    await writeFile(
      path.join(root!, A),
      "---\nversion: 1\nmodel: test-model\nseed: 1\ntemprature: 0\noutput: generated/a.ts\n---\nBroken.\n",
    );
    await w.idle(from);
    const invalid = w.of("failed", from);
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.prompt).toBe(A);
    expect((invalid[0]!.error as { code: string }).code).toBe("PC_FRONTMATTER_INVALID");

    from = w.events.length;
    server.fail({ status: 500 }, { times: 1 });
    await writeFile(path.join(root!, A), a("Fixed, but the server fails once."));
    await w.idle(from);
    expect(w.of("failed", from).map((e) => e.prompt)).toEqual([A]);

    from = w.events.length;
    await writeFile(path.join(root!, A), a("Fixed, and the server answers."));
    await w.idle(from);
    expect(w.of("done", from).map((e) => [e.prompt, e.outcome])).toEqual([[A, "built"]]);
    expect(lastUserMessage(server.chatRequests().length - 1)).toContain("the server answers");
  });

  it("follows context files and the config, re-derived after each build", async () => {
    const w = await startWatching({
      [A]: promptFile({ output: "generated/a.ts", context: ["notes/one.txt"], body: "Use the notes." }),
      "notes/one.txt": "one\n",
      "notes/two.txt": "two\n",
    });
    let from = w.events.length;
    await writeFile(path.join(root!, "notes/one.txt"), "one, edited\n");
    await w.idle(from);
    expect(w.of("change", from)).toEqual([{ event: "change", paths: ["notes/one.txt"] }]);

    // A context file added to the prompt is watched from the next build on.
    from = w.events.length;
    await writeFile(
      path.join(root!, A),
      promptFile({ output: "generated/a.ts", context: ["notes/one.txt", "notes/two.txt"], body: "Use the notes." }),
    );
    await w.idle(from);
    from = w.events.length;
    await writeFile(path.join(root!, "notes/two.txt"), "two, edited\n");
    await w.idle(from);
    expect(w.of("change", from)).toEqual([{ event: "change", paths: ["notes/two.txt"] }]);
    expect(w.of("done", from).map((e) => e.outcome)).toEqual(["built"]);

    // The config widens the prompt globs: a prompt in the new folder is built, then watched.
    from = w.events.length;
    await writeFiles(root!, { "more/m.md": promptFile({ output: "generated/m.ts", body: "More." }) });
    await writeFile(
      path.join(root!, "pc.config.json"),
      JSON.stringify({ prompts: ["prompts/**/*.md", "more/**/*.md"] }),
    );
    await w.idle(from);
    expect(w.of("done", from).map((e) => [e.prompt, e.outcome])).toEqual([["more/m.md", "built"]]);
    from = w.events.length;
    await writeFile(path.join(root!, "more/m.md"), promptFile({ output: "generated/m.ts", body: "More, edited." }));
    await w.idle(from);
    expect(w.of("done", from).map((e) => [e.prompt, e.outcome])).toEqual([["more/m.md", "built"]]);
  });

  it("stops cleanly on Ctrl-C during a generation: exit 130, no temp files, the lock intact", async () => {
    let arrivedResolve!: () => void;
    const arrived = new Promise<void>((resolve) => (arrivedResolve = resolve));
    const slow = await testServer({
      tokenDelayMs: 20,
      answer: (body, index) => (index === 1 ? slowAnswer(arrivedResolve) : defaultAnswer(body)),
    });
    try {
      root = (await makeProject({ [A]: a("First.") }, "pc-watch-")).root;
      const w = (watcher = new WatchProcess(root, ["--base-url", slow.baseURL, "--retries", "0"]));
      await w.next((e) => e.event === "ready");
      await w.idle();
      const before = await readText(root, "promptfile.lock");
      const output = await readText(root, "generated/a.ts");
      await writeFile(path.join(root, A), a("Second, interrupted."));
      await arrived;
      expect(await w.stop()).toBe(130);
      expect(await readText(root, "promptfile.lock")).toBe(before);
      expect(await readText(root, "generated/a.ts")).toBe(output);
      expect((await readdir(path.join(root, "generated"))).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    } finally {
    }
  });
});

/** A long answer; `arrived` is called when the request reaches the server. */
function slowAnswer(arrived: () => void): string {
  arrived();
  return fencedAnswer(Array.from({ length: 300 }, (_, i) => `// slow line ${i}`).join("\n"));
}
