import path from "node:path";
import type { ServerResponse } from "node:http";
import type { FSWatcher } from "chokidar";
import { status, type StatusReport } from "../commands/status.js";

/** Quiet time after the last change on disk before the states are computed again. */
const SETTLE_MS = 150;

/** Folders whose changes never change a prompt's state. */
const IGNORED = /(^|[\\/])(node_modules|\.git)([\\/]|$)/;

/**
 * Live updates for every open page (server-sent events): the events of builds started from the UI,
 * and every prompt's state, computed again through the library whenever a file of the project
 * changes, so `pc build` or `pc watch` in another terminal shows up as it lands. The last states
 * computed are kept until a file changes, so a page opened meanwhile gets them at once.
 */
export class Live {
  private readonly clients = new Set<ServerResponse>();
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;
  /** The states as of the last change seen, computed or being computed; dropped when a file changes. */
  private current?: Promise<StatusReport>;
  private last = "";

  constructor(
    private readonly root: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Starts watching the project and computing the states; resolves once the watches are set. */
  async start(): Promise<void> {
    const { watch } = await import("chokidar");
    const watcher = watch(this.root, { ignoreInitial: true, ignored: (file) => this.ignored(file) });
    this.watcher = watcher;
    watcher.on("all", () => this.changed());
    watcher.on("error", (error) => this.onError(error));
    void this.states().catch(() => {}); // ready for the first page
    await new Promise<void>((resolve) => watcher.once("ready", () => resolve()));
  }

  /** Opens an event stream on `response`; its first event is every prompt's state. */
  async subscribe(response: ServerResponse): Promise<void> {
    response.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    response.write(": pc ui\n\n");
    this.clients.add(response);
    response.on("close", () => this.clients.delete(response));
    try {
      response.write(frame("status", await this.states()));
    } catch (error) {
      response.write(frame("problem", { message: messageOf(error) }));
    }
  }

  send(event: string, data: unknown): void {
    const text = frame(event, data);
    for (const client of this.clients) client.write(text);
  }

  async close(): Promise<void> {
    clearTimeout(this.timer);
    for (const client of this.clients) client.end();
    this.clients.clear();
    await this.watcher?.close();
    await this.current?.catch(() => {});
  }

  /** Every prompt's state as of the last change seen (computed once per change). */
  private states(): Promise<StatusReport> {
    this.current ??= status({ cwd: this.root });
    const computing = this.current;
    computing.catch(() => this.current === computing && (this.current = undefined)); // a failure is not kept
    return computing;
  }

  /** After a change has settled: the states, sent to every page when they differ from the last sent. */
  private async refresh(): Promise<void> {
    try {
      const report = await this.states();
      const text = JSON.stringify(report.prompts);
      if (text === this.last) return;
      this.last = text;
      this.send("status", report);
    } catch (error) {
      this.send("problem", { message: messageOf(error) });
    }
  }

  private changed(): void {
    this.current = undefined; // a page opened from now on waits for states computed after this change
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), SETTLE_MS);
  }

  private ignored(file: string): boolean {
    const relative = path.relative(this.root, file);
    if (IGNORED.test(relative)) return true;
    // Of pc's own bookkeeping only the record of failed attempts changes a state.
    return relative.startsWith(`.pc${path.sep}`) && relative !== path.join(".pc", "failures.json");
  }
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function messageOf(error: unknown): string {
  const e = error as { format?: () => string; message?: string };
  return typeof e?.format === "function" ? e.format() : String(e?.message ?? error);
}
