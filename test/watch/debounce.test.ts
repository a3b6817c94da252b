// pc watch's debounce with its clock in the test's hands (library API, in process): when a burst of
// saves ends is decided by the test, not by how fast this machine writes files.
import { describe, expect, it, onTestFinished } from "vitest";
import { watch, type WatchEvent } from "../../src/commands/watch.js";
import { sha256 } from "../../src/util/fs.js";
import { manualClock, type ManualClock } from "../support/manual-clock.js";
import { makeProject, type TempProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const server = useTestServer();
const A = "prompts/a.md";
const a = (body: string) => promptFile({ output: "generated/a.ts", body });

/** Events of a watcher, and a wait for the first one from an index on that matches. */
class Events {
  readonly all: WatchEvent[] = [];
  private waiters: Array<{ from: number; match: (e: WatchEvent) => boolean; resolve: () => void }> = [];
  readonly push = (event: WatchEvent): void => {
    this.all.push(event);
    for (const w of [...this.waiters]) {
      if (this.all.slice(w.from).some(w.match)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  next(match: (e: WatchEvent) => boolean, from = this.all.length): Promise<void> {
    if (this.all.slice(from).some(match)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ from, match, resolve }));
  }
  idle(from = this.all.length): Promise<void> {
    return this.next((e) => e.type === "idle", from);
  }
  of<T extends WatchEvent["type"]>(type: T, from = 0): Array<Extract<WatchEvent, { type: T }>> {
    return this.all.slice(from).filter((e): e is Extract<WatchEvent, { type: T }> => e.type === type);
  }
}

async function startWatching(project: TempProject, clock: ManualClock, debounceMs?: number): Promise<Events> {
  const events = new Events();
  const watcher = await watch({
    cwd: project.root,
    baseUrl: server.baseURL,
    retries: 0,
    clock,
    debounceMs,
    onEvent: events.push,
  });
  onTestFinished(() => watcher.close());
  await events.idle(0);
  return events;
}

describe("pc watch's debounce", () => {
  it("turns a burst of 20 saves into one build of the last content", async () => {
    const project = await makeProject({ [A]: a("Version start.") });
    const clock = manualClock();
    const events = await startWatching(project, clock);
    expect(server.chatRequests()).toHaveLength(1);
    const from = events.all.length;
    for (let i = 1; i <= 20; i++) await project.write({ [A]: a(`Version ${i}.`) });
    await clock.timerSet(); // a save was seen; the burst ends when the test says so
    clock.fire();
    await events.idle(from);
    expect(events.of("change", from)).toEqual([{ type: "change", paths: [A] }]);
    expect(events.of("start", from).map((e) => e.prompt)).toEqual([A]);
    expect(server.chatRequests()).toHaveLength(2);
    expect(JSON.stringify(server.chatRequests()[1]!.body.messages)).toContain("Version 20.");
    expect((await project.lock()).prompts[A]!.inputs[A]).toBe(sha256(a("Version 20.")));
  });

  it("waits the quiet time after each save, but never past a second after the first save of a burst", async () => {
    const notes = ["notes/one.txt", "notes/two.txt"];
    const prompt = (body: string) => promptFile({ output: "generated/a.ts", context: notes, body });
    const project = await makeProject({ [A]: prompt("Version start."), [notes[0]!]: "one\n", [notes[1]!]: "two\n" });
    const clock = manualClock();
    const events = await startWatching(project, clock, 300);
    // Each save is to another file: chokidar drops a second change of one file within 50 ms.
    const save = async (files: Record<string, string>) => {
      const before = clock.delays.length;
      await project.write(files);
      while (clock.delays.length === before) await new Promise((resolve) => setImmediate(resolve));
      return clock.delays.at(-1);
    };
    expect(await save({ [A]: prompt("Version 1.") })).toBe(300);
    clock.advance(500);
    expect(await save({ [notes[0]!]: "one, edited\n" })).toBe(300);
    clock.advance(600);
    expect(await save({ [notes[1]!]: "two, edited\n" })).toBe(0); // 1,100 ms into the burst: flush now
    const from = events.all.length;
    clock.fire();
    await events.idle(from);
    expect(events.of("change", from)).toEqual([{ type: "change", paths: [notes[0], notes[1], A].sort() }]);
    const sent = JSON.stringify(server.chatRequests().at(-1)!.body.messages);
    for (const text of ["Version 1.", "one, edited", "two, edited"]) expect(sent).toContain(text);
    expect(server.chatRequests()).toHaveLength(2);
  });
});
