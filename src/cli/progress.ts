import type { BuildEvent, BuildReport, DroppedEntry, PromptBuildResult } from "../commands/build.js";
import type { EmbeddedLoadEvent } from "../engine/embedded.js";
import type { DownloadEvent } from "../engine/hf-download.js";
import { engineKindOf } from "../engine/engine-factory.js";
import type { OutputStream } from "./io.js";
import { colors } from "./output.js";
import { count } from "../util/plural.js";

/** A few redraws a second: enough for a clock that moves, few enough to cost nothing. */
const REDRAW_MS = 250;

/** The time and the redraw timer; tests pass their own instead of waiting. */
export interface ProgressClock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls `tick` every `ms` until the returned function is called; never keeps the process alive. */
  every(ms: number, tick: () => void): () => void;
}

export const systemClock: ProgressClock = {
  now: () => performance.now(),
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    timer.unref();
    return () => clearInterval(timer);
  },
};

interface Running {
  model: string;
  started: number;
  tokens: number;
  elapsedMs: number;
  /** When a retry's wait ends, and which attempt it is. */
  retry?: { at: number; attempt: number };
}

/**
 * Build progress for people. On a TTY: a live line per running prompt, redrawn a few times a second
 * below the lines of finished prompts whether or not a token arrived, with its phase (loading the
 * model, waiting for the first token, waiting to retry, then tokens and tokens per second) and the
 * time so far, and a line for the prompts still queued. Elsewhere (CI logs, pipes): one line per
 * finished prompt, nothing that needs a terminal.
 */
export class BuildProgress {
  private readonly running = new Map<string, Running>();
  private readonly queued = new Set<string>();
  private readonly loaded = new Set<string>();
  private readonly downloads = new Map<string, DownloadEvent>();
  private drawnLines = 0;
  private stopTicking: (() => void) | undefined;
  private readonly c;

  constructor(
    private readonly stream: OutputStream,
    private readonly live: boolean,
    color: boolean,
    private readonly clock: ProgressClock = systemClock,
  ) {
    this.c = colors(color);
  }

  onEvent = (event: BuildEvent): void => {
    switch (event.type) {
      case "plan":
        for (const t of event.targets) this.queued.add(t.prompt);
        this.redraw();
        break;
      case "start":
        this.queued.delete(event.prompt);
        this.running.set(event.prompt, { model: event.model, started: this.clock.now(), tokens: 0, elapsedMs: 0 });
        this.redraw();
        break;
      case "progress": {
        const r = this.running.get(event.prompt);
        if (r) Object.assign(r, { tokens: event.tokens, elapsedMs: event.elapsedMs, retry: undefined });
        break;
      }
      case "retry": {
        const r = this.running.get(event.prompt);
        if (r)
          Object.assign(r, {
            tokens: 0,
            elapsedMs: 0,
            retry: { at: this.clock.now() + event.delayMs, attempt: event.attempt },
          });
        this.print(
          this.c.yellow(
            `  retrying ${event.prompt} in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt}): ${event.message.split("\n")[0]}`,
          ),
        );
        break;
      }
      case "done":
        this.queued.delete(event.result.prompt);
        this.running.delete(event.result.prompt);
        if (event.result.outcome !== "fresh") this.print(this.resultLine(event.result));
        else this.redraw();
        break;
      case "model":
        this.onModel(event.event);
        break;
      case "check": {
        const known = event.known ? ", as checked before" : "";
        const took = `${formatSeconds(event.durationMs)}${known}`;
        this.print(
          event.passed
            ? `  ${this.c.green("✓")} checks passed ${event.prompt} ${this.c.dim(`(${took})`)}`
            : `  ${this.c.red("✗")} checks failed ${event.prompt}: ${(event.failure ?? "").split("\n")[0]} ${this.c.dim(`(${took})`)}`,
        );
        break;
      }
    }
  };

  /** Embedded models: a live download line (one line when it starts elsewhere), then one line when loaded. */
  private onModel(event: EmbeddedLoadEvent): void {
    if (event.type === "download") {
      // Elsewhere than a terminal: one line per phase.
      if (!this.live && this.downloads.get(event.model)?.phase !== event.phase)
        this.print(this.c.dim(`  ${downloadText(event)}`));
      this.downloads.set(event.model, event);
      this.redraw();
      return;
    }
    this.downloads.delete(event.model);
    this.loaded.add(event.model);
    const threads = `${event.threads} thread${event.threads === 1 ? "" : "s"}`;
    this.print(
      this.c.dim(
        `  loaded ${event.file} in ${formatSeconds(event.loadMs)} (${threads}, context ${event.contextSize} tokens)`,
      ),
    );
  }

  notice(message: string): void {
    this.print(this.c.yellow(message));
  }

  /** Prints a line above the live progress lines. */
  line(text: string): void {
    this.print(text);
  }

  /** The last lines: failures in full, then the totals. */
  summary(report: BuildReport): string {
    const c = this.c;
    const t = report.totals;
    const lines: string[] = [];
    for (const p of report.prompts) {
      if (p.outcome === "failed" && p.error) {
        // An error about another file (the model, a context file) still says which prompt failed.
        const which = p.error.file === p.prompt ? "" : `${p.prompt}: `;
        lines.push(`${c.red(`✗ ${which}${p.error.format()}`)}\n  ${c.dim(`(${p.error.code})`)}`);
      }
      if (p.outcome === "drifted") {
        lines.push(
          c.magenta(
            `! ${p.prompt}: ${p.outputs.join(", ")} was edited by hand and is kept; \`pc accept ${p.prompt}\` keeps the edit, \`pc build --force ${p.prompt}\` replaces it`,
          ),
        );
      }
    }
    for (const d of report.dropped ?? []) lines.push(droppedLine(d, report.dryRun));
    if (report.dryRun) {
      const planned = report.prompts.filter((p) => p.outcome === "planned");
      const cached = planned.filter((p) => p.source === "cache").length;
      const fromCache = cached ? `, ${cached === planned.length ? "all" : cached} from the cache` : "";
      lines.push(
        planned.length
          ? `${planned.length} prompt${planned.length === 1 ? "" : "s"} would be built${fromCache} (dry run: no request made)`
          : "Nothing to build: every prompt is fresh.",
      );
      return lines.join("\n");
    }
    const parts = [
      `${t.built} built`,
      `${t.cached} from cache`,
      `${t.fresh} fresh`,
      t.failed ? c.red(`${t.failed} failed`) : `${t.failed} failed`,
      ...(t.skipped ? [c.yellow(`${t.skipped} skipped`)] : []),
      ...(t.drifted ? [c.magenta(`${t.drifted} drifted`)] : []),
    ];
    const tokens = t.promptTokens + t.completionTokens;
    lines.push(
      `${parts.join(", ")}; ${tokens ? `${t.promptTokens} prompt + ${count(t.completionTokens, "completion token")}; ` : ""}${formatSeconds(report.durationMs)}`,
    );
    return lines.join("\n");
  }

  stop(): void {
    this.stopTicking?.();
    this.stopTicking = undefined;
    this.queued.clear();
    this.clear();
  }

  private resultLine(r: PromptBuildResult): string {
    const c = this.c;
    const outputs = r.outputs.join(", ");
    switch (r.outcome) {
      case "built": {
        const tokens = r.usage?.completionTokens ?? 0;
        const seconds = (r.durationMs ?? 0) / 1000;
        const rate = seconds > 0 ? `, ${(tokens / seconds).toFixed(1)} tok/s` : "";
        return `${c.green("✓")} built  ${r.prompt} → ${outputs} ${c.dim(`(${count(tokens, "token")}${rate}, ${formatSeconds(r.durationMs ?? 0)})`)}`;
      }
      case "cached":
        return `${c.green("✓")} cached ${r.prompt} → ${outputs} ${c.dim("(restored, no model call)")}`;
      case "failed":
        return `${c.red("✗")} failed ${r.prompt}: ${(r.error?.message ?? "").split("\n")[0]}`;
      case "skipped":
        return `${c.yellow("-")} skipped ${r.prompt}: ${r.reasons.join("; ")}`;
      default:
        return `  ${r.outcome} ${r.prompt}`;
    }
  }

  private print(line: string): void {
    this.clear();
    this.stream.write(`${line}\n`);
    this.redraw();
  }

  /** Draws the live lines now, and keeps redrawing them while there are any. */
  private redraw(): void {
    if (!this.live) return;
    this.clear();
    this.draw();
    if (this.drawnLines > 0 && !this.stopTicking) {
      this.stopTicking = this.clock.every(REDRAW_MS, () => this.redraw());
    } else if (this.drawnLines === 0 && this.stopTicking) {
      this.stopTicking();
      this.stopTicking = undefined;
    }
  }

  private clear(): void {
    if (!this.live || this.drawnLines === 0) return;
    this.stream.write(`\x1b[${this.drawnLines}A\x1b[J`);
    this.drawnLines = 0;
  }

  private draw(): void {
    if (!this.live) return;
    const width = this.stream.columns || 80;
    const now = this.clock.now();
    const lines: string[] = [];
    for (const d of this.downloads.values()) {
      lines.push(`  ${this.c.cyan("↓")} ${this.c.dim(downloadText(d))}`);
    }
    for (const [prompt, r] of this.running) {
      const seconds = ((now - r.started) / 1000).toFixed(1);
      lines.push(`  ${this.c.cyan("…")} ${prompt} ${this.c.dim(`${r.model} · ${this.phase(r, now)} · ${seconds} s`)}`);
    }
    if (this.queued.size > 0) {
      lines.push(`  ${this.c.dim(`· ${this.queued.size} queued: ${[...this.queued].join(", ")}`)}`);
    }
    for (const line of lines) this.stream.write(`${truncate(line, width - 1)}\n`);
    this.drawnLines = lines.length;
  }

  /** What a running prompt is doing now, in the user's words. */
  private phase(r: Running, now: number): string {
    if (r.retry && now < r.retry.at) return `retry ${r.retry.attempt} in ${((r.retry.at - now) / 1000).toFixed(1)} s`;
    if (r.tokens > 0) {
      const rate = r.elapsedMs > 0 ? `, ${((r.tokens * 1000) / r.elapsedMs).toFixed(1)} tok/s` : "";
      return `${r.tokens} token${r.tokens === 1 ? "" : "s"}${rate}`;
    }
    if (engineKindOf(r.model) === "embedded" && !this.loaded.has(r.model)) {
      return this.downloads.has(r.model) ? "downloading the model" : "loading the model";
    }
    return "waiting for the first token";
  }
}

/** An orphaned lock entry that a build dropped, and what became of its outputs. */
function droppedLine(d: DroppedEntry, dryRun: boolean): string {
  const outputs = d.outputsKept.length
    ? `its outputs are kept (${d.outputsKept.join(", ")}: delete them if they are no longer wanted)`
    : "its outputs are gone too";
  return `${dryRun ? "would drop" : "dropped"} the lock entry of ${d.prompt}: the prompt file is gone and ${outputs}`;
}

/** `resolving huggingface.co for hf:...`, `downloading hf:... 12.0 of 986.1 MB at 4.2 MB/s from huggingface.co`. */
function downloadText(d: DownloadEvent): string {
  if (d.phase === "resolving") return `resolving ${d.host} to download ${d.model}`;
  if (d.phase === "connecting") return `connecting to ${d.host} to download ${d.model}`;
  const size =
    d.totalBytes > 0
      ? `${megabytes(d.downloadedBytes)} of ${megabytes(d.totalBytes)} MB`
      : `${megabytes(d.downloadedBytes)} MB`;
  const rate = d.bytesPerSecond > 0 ? ` at ${megabytes(d.bytesPerSecond)} MB/s` : "";
  return `downloading ${d.model} from ${d.host}: ${size}${rate}`;
}

function megabytes(bytes: number): string {
  return (bytes / 1e6).toFixed(1);
}

export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** Cuts a line with ANSI colours to `width` visible characters. */
function truncate(line: string, width: number): string {
  let visible = 0;
  let out = "";
  for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
    if (part.startsWith("\x1b[")) {
      out += part;
      continue;
    }
    const room = width - visible;
    if (room <= 0) continue;
    out += part.length > room ? `${part.slice(0, room - 1)}…` : part;
    visible += Math.min(part.length, room);
  }
  return line.includes("\x1b[") ? `${out}\x1b[0m` : out;
}
