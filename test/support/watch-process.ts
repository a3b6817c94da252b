// Runs the built `pc watch --json` on a temp project and reads its NDJSON events.
import { spawnPc, type SpawnedPc } from "./pc.js";

export interface WatchEventLine {
  event: string;
  prompt?: string | null;
  paths?: string[];
  outcome?: string;
  [key: string]: unknown;
}

/** A running `pc watch --json` and the events it has printed so far. */
export class WatchProcess {
  readonly events: WatchEventLine[] = [];
  private readonly pc: SpawnedPc;
  private buffer = "";
  private waiters: Array<{
    from: number;
    match: (e: WatchEventLine) => boolean;
    resolve: (e: WatchEventLine) => void;
  }> = [];
  readonly exited: Promise<number | null>;

  constructor(cwd: string, args: string[]) {
    this.pc = spawnPc(["watch", "--json", ...args], { cwd });
    this.pc.child.stdout!.on("data", (data) => this.read(String(data)));
    this.exited = this.pc.done.then((run) => run.code);
  }

  /** Everything `pc watch` wrote to stderr so far. */
  get stderr(): string {
    return this.pc.stderr();
  }

  /** The first event matching `match` at or after index `from` (default: the next new event). */
  next(match: (e: WatchEventLine) => boolean, from = this.events.length, timeoutMs = 20_000): Promise<WatchEventLine> {
    const found = this.events.slice(from).find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `no matching watch event within ${timeoutMs} ms; events:\n${this.events
              .filter((e) => e.event !== "progress")
              .map((e) => JSON.stringify(e))
              .join("\n")}\nstderr:\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push({ from, match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  /** Waits for the next `idle` event (builds settled). */
  idle(from = this.events.length): Promise<WatchEventLine> {
    return this.next((e) => e.event === "idle", from);
  }

  /** Events of one kind (progress left out unless asked for). */
  of(kind: string, from = 0): WatchEventLine[] {
    return this.events.slice(from).filter((e) => e.event === kind);
  }

  /** Ctrl-C; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.pc.child.exitCode === null) this.pc.child.kill("SIGINT");
    return this.exited;
  }

  private read(data: string): void {
    this.buffer += data;
    for (let i = this.buffer.indexOf("\n"); i >= 0; i = this.buffer.indexOf("\n")) {
      const line = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 1);
      const event = JSON.parse(line) as WatchEventLine;
      const index = this.events.push(event) - 1;
      for (const waiter of [...this.waiters]) {
        if (index >= waiter.from && waiter.match(event)) {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    }
  }
}
