/** Small pieces shared by the pages. */
import { html } from "htm/preact";
import type { Progress, State } from "./types.js";

export function Badge({ state }: { state: State }) {
  return html`<span class=${`badge ${state}`}>${state}</span>`;
}

export function ProgressNote({ progress }: { progress: Progress }) {
  const seconds = progress.elapsedMs / 1000;
  const rate = seconds > 0 ? ` · ${(progress.tokens / seconds).toFixed(0)} tok/s` : "";
  return html`<span class="progress">generating: ${progress.tokens} tokens${rate}</span>`;
}

export function duration(ms: number | undefined): string {
  if (ms === undefined) return "-";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function promptHref(prompt: string): string {
  return `#/prompt/${encodeURIComponent(prompt)}`;
}

/** Puts text on the clipboard; the older way where the Clipboard API is unavailable. */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      return await navigator.clipboard.writeText(text);
    } catch {
      // fall back below
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("the browser refused to copy; select the text and copy it by hand");
}
