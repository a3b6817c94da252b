import path from "node:path";
import type { FSWatcher } from "chokidar";
import { existsSync } from "node:fs";
import { build, type BuildEvent, type BuildOptions, type BuildReport } from "./build.js";
import { PcError, toPcError } from "../util/errors.js";
import { LOCK_FILE } from "../lock/lockfile.js";
import type { PromptStatus } from "../plan/states.js";
import { TEMP_FILE_PATTERN, leavesFolder, readIfExists, sha256, toPosix } from "../util/fs.js";
import { keepEngines } from "./watch-engines.js";
import { deriveTargets, matchesGlobs, type WatchTargets } from "./watch-targets.js";

/** Quiet time after the last save before a build starts: a burst of saves becomes one build. */
export const DEFAULT_DEBOUNCE_MS = 100;
/** A steady stream of saves still builds at least this often. */
const MAX_WAIT_MS = 1000;

/** The clock and timer behind the debounce; tests give their own to decide when a burst of saves ends. */
export interface WatchClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

const SYSTEM_CLOCK: WatchClock = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};

export interface WatchOptions extends Omit<BuildOptions, "dryRun" | "force" | "signal" | "onEvent" | "promptSignal"> {
  /** Quiet time after the last save before building (default 100 ms). */
  debounceMs?: number;
  /** The debounce's clock and timer (default: the system's). */
  clock?: WatchClock;
  /** Stops watching (as close() does). */
  signal?: AbortSignal;
  onEvent?: (event: WatchEvent) => void;
}

export type WatchEvent =
  | { type: "ready"; prompts: number; files: number; dirs: string[]; statuses?: PromptStatus[] }
  /** Files whose content changed (after the debounce); a build follows. */
  | { type: "change"; paths: string[] }
  | BuildEvent
  /** A prompt edited again while generating: its generation is stopped and runs again next. */
  | { type: "cancelled"; prompt: string; reason: string }
  /** A build that could not run (invalid config, broken lock, another pc building); watching goes on. */
  | { type: "error"; error: PcError }
  /** Builds settled: the last report and every prompt's state. */
  | { type: "idle"; report?: BuildReport; statuses?: PromptStatus[] };

export interface Watcher {
  /** Resolves once watching has stopped. */
  readonly closed: Promise<void>;
  /** Stops watching: in-flight generations are aborted, finished prompts stay recorded. */
  close(): Promise<void>;
}

type FsChange = "add" | "change" | "unlink";

/**
 * Watches a project and rebuilds what changed: prompts, partials, context files and the config.
 * Saves are debounced; builds never overlap (changes during a build queue one follow-up build);
 * a prompt edited again while it generates has that generation cancelled and restarted; the
 * tool's own writes (outputs, the lock, .pc/) never trigger a build. Resolves once watching.
 */
export async function watch(options: WatchOptions = {}): Promise<Watcher> {
  const session = new WatchSession(options);
  await session.start();
  return session;
}

/**
 * Saves not built yet: none (`quiet`), or a burst of them (`debouncing`): the timer fires once no
 * save came for `debounceMs`, and at the latest MAX_WAIT_MS after the first save (`since`).
 */
type SaveState = { name: "quiet" } | { name: "debouncing"; timer: unknown; since: number };

/**
 * Builds: none running (`idle`); one running (`building`), to be followed by another when files
 * changed meanwhile (`followUp`), with the outputs seen changing meanwhile (`deferred`) judged
 * once the build has recorded what it wrote; or watching has ended (`stopped`, final), with the
 * build still finishing, if one was running.
 */
type BuildState =
  | { name: "idle" }
  | { name: "building"; followUp: boolean; deferred: Map<string, FsChange>; done: Promise<void> }
  | { name: "stopped"; finishing?: Promise<void> };

/**
 * The watch loop: two state machines side by side, one for saves, one for builds.
 *
 *   Saves
 *
 *             save                     timer fires: no save for debounceMs
 *     quiet ────────▶ debouncing ─────────────────────────────────────────▶ quiet, and a flush
 *                      │      ▲        (or MAX_WAIT_MS after the first save)
 *                      └──────┘
 *                  save: the timer starts again
 *
 *   Builds
 *
 *            a flush finds a change                 build done, no change meanwhile
 *     idle ─────────────────────────▶ building ──────────────────────────────────▶ idle ("idle" event)
 *                                      │      ▲
 *                                      └──────┘
 *            a change meanwhile (a flush, or a deferred output): followUp, one more build after
 *            this one; the prompts that read a changed file and are generating are cancelled
 *
 *     idle, building ──close() or the signal──▶ stopped (final: the timer is cleared, the running
 *                                                build aborted and awaited)
 *
 * A flush (flushes run one after another) takes the saves collected in `pending` and keeps the
 * files whose content changed: a save that changes nothing is no change, and an output saved while
 * building is deferred until the build has recorded what it wrote, so pc's own writes never
 * trigger a build.
 */
class WatchSession implements Watcher {
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private readonly root: string;
  private readonly emit: (event: WatchEvent) => void;
  private readonly engines;
  private targets!: WatchTargets;
  private fsw?: FSWatcher;
  private watched = new Set<string>();
  /** The content each known file had when last looked at: a save that changes nothing is no change. */
  private readonly lastSeen = new Map<string, string | undefined>();
  /** Saves seen and not flushed yet, with what happened to each file. */
  private pending = new Map<string, FsChange>();
  private saves: SaveState = { name: "quiet" };
  private builds: BuildState = { name: "idle" };
  private readonly clock: WatchClock;
  /** The flushes, one after another. */
  private flushes: Promise<void> = Promise.resolve();
  private readonly generating = new Map<string, AbortController>();
  private readonly stop = new AbortController();

  constructor(private readonly options: WatchOptions) {
    this.root = options.cwd ?? process.cwd();
    this.emit = options.onEvent ?? (() => {});
    this.engines = keepEngines(options.engineFactory);
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
  }

  async start(): Promise<void> {
    this.targets = await deriveTargets(this.root, this.options.paths);
    for (const [file, hash] of this.targets.hashes) this.lastSeen.set(file, hash);
    for (const [file, hash] of this.targets.outputs) this.lastSeen.set(file, hash);
    const { watch } = await import("chokidar");
    this.watched = this.watchList();
    const fsw = watch(
      [...this.watched].map((p) => path.join(this.root, p)),
      {
        ignoreInitial: true,
        atomic: true,
        ignored: (file: string) => this.ignored(file),
      },
    );
    this.fsw = fsw;
    fsw.on("all", (event, file) => this.onFsEvent(event, file));
    fsw.on("error", (error) =>
      this.emit({ type: "error", error: toPcError(error, "PC_WATCH_FAILED", { prefix: "watching files: " }) }),
    );
    await new Promise<void>((resolve) => fsw.once("ready", () => resolve()));
    this.emit({
      type: "ready",
      prompts: this.targets.statuses?.length ?? 0,
      files: this.targets.readers.size,
      dirs: this.targets.dirs,
      statuses: this.targets.statuses,
    });
    this.options.signal?.addEventListener("abort", () => void this.close(), { once: true });
    if (this.options.signal?.aborted) return void this.close();
    this.startBuilds();
  }

  /** Any state -> stopped. */
  async close(): Promise<void> {
    if (this.builds.name === "stopped") return this.closed;
    const finishing = this.builds.name === "building" ? this.builds.done : undefined;
    this.builds = { name: "stopped", finishing };
    if (this.saves.name === "debouncing") this.clock.clearTimeout(this.saves.timer);
    this.saves = { name: "quiet" };
    this.stop.abort(new Error("watching stopped"));
    await this.fsw?.close();
    await finishing;
    await this.flushes;
    await this.engines.close();
    this.resolveClosed();
  }

  private get stopped(): boolean {
    return this.builds.name === "stopped";
  }

  private watchList(): Set<string> {
    return new Set([...this.targets.readers.keys(), ...this.targets.dirs]);
  }

  private ignored(file: string): boolean {
    const relative = path.relative(this.root, file);
    if (relative === "" || leavesFolder(relative)) return false;
    const rel = toPosix(relative);
    const parts = rel.split("/");
    if (parts[0] === ".pc" || parts.includes("node_modules") || parts.includes(".git")) return true;
    if (rel === LOCK_FILE && !this.targets.readers.has(LOCK_FILE)) return true;
    return TEMP_FILE_PATTERN.test(rel);
  }

  private onFsEvent(event: string, file: string): void {
    if (this.stopped || (event !== "add" && event !== "change" && event !== "unlink")) return;
    const rel = toPosix(path.relative(this.root, file));
    const previous = this.pending.get(rel);
    // add-then-change is still a new file; anything else keeps the latest kind.
    this.pending.set(rel, event === "change" && previous ? previous : event);
    this.debounce();
  }

  /** quiet or debouncing -> debouncing, with the timer started (again). */
  private debounce(): void {
    const now = this.clock.now();
    const since = this.saves.name === "debouncing" ? this.saves.since : now;
    if (this.saves.name === "debouncing") this.clock.clearTimeout(this.saves.timer);
    const wait = Math.max(0, Math.min(this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS, since + MAX_WAIT_MS - now));
    const timer = this.clock.setTimeout(() => {
      // debouncing -> quiet: the saves are flushed.
      this.saves = { name: "quiet" };
      this.flushes = this.flushes
        .then(() => this.flush())
        .catch((error) => this.emit({ type: "error", error: toPcError(error, "PC_WATCH_FAILED") }));
    }, wait);
    this.saves = { name: "debouncing", timer, since };
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    const changed: string[] = [];
    for (const [file, kind] of batch) {
      if (this.builds.name === "building" && this.targets.outputs.has(file)) this.builds.deferred.set(file, kind);
      else if (await this.isChange(file, kind)) changed.push(file);
    }
    if (changed.length === 0 || this.builds.name === "stopped") return;
    this.emit({ type: "change", paths: changed.sort() });
    if (this.builds.name === "idle") return this.startBuilds();
    // building -> building, with a follow-up.
    this.builds.followUp = true;
    for (const prompt of this.readersOf(changed)) {
      const generation = this.generating.get(prompt);
      if (!generation || generation.signal.aborted) continue;
      const reason = "edited while generating; it runs again with the new content";
      generation.abort(new Error(reason));
      this.emit({ type: "cancelled", prompt, reason });
    }
  }

  /** Whether a file's content differs from when it was last seen (a new file counts if the project reads it). */
  private async isChange(file: string, kind: FsChange): Promise<boolean> {
    const now = await hashNow(path.join(this.root, file));
    const known = this.lastSeen.has(file) || this.targets.readers.has(file) || this.targets.outputs.has(file);
    if (!known) {
      // An unknown file matters only when it appears where a prompt or a context glob would find it.
      if (kind !== "add" || now === undefined || !(await matchesGlobs(this.root, file, this.targets.globs)))
        return false;
    }
    const before = this.lastSeen.get(file);
    this.lastSeen.set(file, now);
    return !known || now !== before;
  }

  private readersOf(files: string[]): Set<string> {
    const prompts = new Set<string>();
    for (const file of files) for (const prompt of this.targets.readers.get(file) ?? []) prompts.add(prompt);
    return prompts;
  }

  /** idle -> building: builds until no file changed during the last one, then back to idle. */
  private startBuilds(): void {
    const building: BuildState & { name: "building" } = {
      name: "building",
      followUp: false,
      deferred: new Map(),
      done: Promise.resolve(),
    };
    this.builds = building;
    building.done = (async () => {
      let report: BuildReport | undefined;
      for (;;) {
        building.followUp = false;
        report = await this.buildOnce();
        await this.afterBuild();
        while (building.deferred.size > 0) await this.settleDeferred(building);
        if (!building.followUp || this.stopped) break;
      }
      if (this.stopped) return;
      this.builds = { name: "idle" };
      this.emit({ type: "idle", report, statuses: this.targets.statuses });
    })();
  }

  private async buildOnce(): Promise<BuildReport | undefined> {
    const reported = new Set<string>();
    try {
      const report = await build({
        ...this.options,
        cwd: this.root,
        engineFactory: this.engines.factory,
        signal: this.stop.signal,
        promptSignal: (prompt) => {
          const controller = new AbortController();
          this.generating.set(prompt, controller);
          return controller.signal;
        },
        onEvent: (event) => {
          if (event.type === "done") {
            this.generating.delete(event.result.prompt);
            reported.add(event.result.prompt);
          }
          this.emit(event);
        },
      });
      // Prompts that could not even be planned (invalid frontmatter, a template error) fail too.
      for (const result of report.prompts) {
        if (result.outcome === "failed" && !reported.has(result.prompt)) this.emit({ type: "done", result });
      }
      return report;
    } catch (error) {
      if (!this.stopped) this.emit({ type: "error", error: toPcError(error, "PC_ENGINE_ERROR") });
      return undefined;
    } finally {
      this.generating.clear();
    }
  }

  /** Re-derives what to watch (context files may have changed) and records what the build wrote. */
  private async afterBuild(): Promise<void> {
    try {
      this.targets = await deriveTargets(this.root, this.options.paths, this.targets);
    } catch (error) {
      this.emit({ type: "error", error: toPcError(error, "PC_WATCH_FAILED") });
    }
    for (const [file, hash] of this.targets.hashes) if (!this.lastSeen.has(file)) this.lastSeen.set(file, hash);
    for (const [file, hash] of this.targets.outputs) this.lastSeen.set(file, hash);
    for (const file of [...this.lastSeen.keys()]) {
      if (!this.targets.readers.has(file) && !this.targets.outputs.has(file)) this.lastSeen.delete(file);
    }
    const next = this.watchList();
    const added = [...next].filter((p) => !this.watched.has(p));
    const removed = [...this.watched].filter((p) => !next.has(p));
    this.watched = next;
    const fsw = this.fsw;
    if (this.stopped || !fsw) return;
    if (removed.length) fsw.unwatch(removed.map((p) => path.join(this.root, p)));
    if (added.length) {
      const absolute = added.map((p) => path.join(this.root, p));
      fsw.add(absolute);
      await this.watching(fsw, absolute);
    }
  }

  /**
   * Resolves once chokidar watches every one of `files` (its add() sets the watches up
   * asynchronously), so a save right after a build reported idle is never missed. A path that does
   * not exist is not waited for; nor is anything after 2 s.
   */
  private async watching(fsw: FSWatcher, files: string[]): Promise<void> {
    const isWatched = (file: string) => {
      const watched = fsw.getWatched();
      return Boolean(watched[file] || watched[path.dirname(file)]?.includes(path.basename(file)));
    };
    const pending = files.filter((file) => existsSync(file));
    for (let waited = 0; waited < 2000 && !this.stopped && !pending.every(isWatched); waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** The outputs that changed during a build, judged now that it has recorded what it wrote. */
  private async settleDeferred(building: BuildState & { name: "building" }): Promise<void> {
    const batch = building.deferred;
    building.deferred = new Map();
    const changed: string[] = [];
    for (const [file, kind] of batch) if (await this.isChange(file, kind)) changed.push(file);
    if (changed.length === 0 || this.stopped) return;
    this.emit({ type: "change", paths: changed.sort() });
    building.followUp = true;
  }
}

async function hashNow(file: string): Promise<string | undefined> {
  try {
    const bytes = await readIfExists(file);
    return bytes === undefined ? undefined : sha256(bytes);
  } catch {
    return undefined; // a folder or an unreadable file: the build reports it if a prompt reads it
  }
}
