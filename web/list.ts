/** The prompt list: every prompt with its state and why, its outputs, source, model and last duration. */
import { useState } from "preact/hooks";
import { html } from "htm/preact";
import { postJson } from "./api.js";
import type { Live } from "./main.js";
import { STATES, type PromptStatus, type State } from "./types.js";
import { Badge, ProgressNote, duration, promptHref } from "./bits.js";
import { useWindowRows } from "./window-rows.js";

export function PromptList({ live }: { live: Live }) {
  const [query, setQuery] = useState("");
  const [shown, setShown] = useState<State | "all">("all");
  const [building, setBuilding] = useState<{ text: string; bad: boolean } | undefined>();
  const prompts = live.report?.prompts;
  if (!prompts) return html`<p class="muted">Reading the project…</p>`;
  const counts = new Map<State, number>();
  for (const p of prompts) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const visible = prompts.filter(
    (p) => (shown === "all" || p.state === shown) && words.every((w) => haystack(p).includes(w)),
  );
  const buildAll = async () => {
    setBuilding({ text: "building…", bad: false });
    try {
      const report = await postJson<{ ok: boolean; totals: Record<string, number> }>("/api/build", {});
      const counts = ["built", "cached", "failed", "drifted", "skipped"]
        .filter((k) => report.totals[k])
        .map((k) => `${report.totals[k]} ${k}`);
      setBuilding({
        text: counts.length ? counts.join(", ") : "nothing to build: every prompt is fresh",
        bad: !report.ok,
      });
    } catch (error) {
      setBuilding({ text: (error as Error).message, bad: true });
    }
  };
  return html`
    <section class="toolbar">
      <input
        type="search"
        placeholder="Search prompts, outputs, models"
        aria-label="Search"
        value=${query}
        onInput=${(e: Event) => setQuery((e.target as HTMLInputElement).value)}
      />
      <div class="chips" role="group" aria-label="Filter by state">
        <button class=${shown === "all" ? "chip on" : "chip"} onClick=${() => setShown("all")}>
          all ${prompts.length}
        </button>
        ${STATES.filter((s) => counts.has(s)).map(
          (s) =>
            html`<button class=${`chip ${s} ${shown === s ? "on" : ""}`} onClick=${() => setShown(s)}>
              ${s} ${counts.get(s)}
            </button>`,
        )}
      </div>
      <button class="primary" onClick=${buildAll}>Build what changed</button>
    </section>
    ${building ? html`<pre class=${building.bad ? "problem" : "note"} role="status">${building.text}</pre>` : null}
    ${prompts.length === 0 ? html`<p class="muted">No prompts found (prompts/**/*.md). <code>pc init</code> creates an example.</p>` : null}
    <${Table} prompts=${visible} progress=${live.progress} />
    <p class="muted" role="status">
      ${visible.length < prompts.length ? `${visible.length} of ${prompts.length} prompts shown.` : `${prompts.length} prompts.`}
    </p>
  `;
}

function Table({ prompts, progress }: { prompts: PromptStatus[]; progress: Live["progress"] }) {
  const { body, first, last, above, below } = useWindowRows(prompts.length);
  return html`
    <table class="prompts">
      <colgroup>
        <col class="c-prompt" />
        <col class="c-state" />
        <col class="c-outputs" />
        <col class="c-source" />
        <col class="c-model" />
        <col class="c-last" />
      </colgroup>
      <thead>
        <tr>
          <th>prompt</th>
          <th>state</th>
          <th>outputs</th>
          <th>source</th>
          <th>model</th>
          <th>last</th>
        </tr>
      </thead>
      <tbody ref=${body}>
        ${above ? html`<tr class="spacer" style=${`height:${above}px`}></tr>` : null}
        ${prompts.slice(first, last).map((p) => html`<${Row} key=${p.prompt} p=${p} progress=${progress[p.prompt]} />`)}
        ${below ? html`<tr class="spacer" style=${`height:${below}px`}></tr>` : null}
      </tbody>
    </table>
  `;
}

function Row({ p, progress }: { p: PromptStatus; progress?: Live["progress"][string] }) {
  const reason = p.reasons[0] ? `${p.reasons[0]}${p.reasons.length > 1 ? ` (+${p.reasons.length - 1} more)` : ""}` : "";
  return html`
    <tr data-prompt=${p.prompt} data-state=${p.state}>
      <td>
        <a href=${promptHref(p.prompt)} title=${p.prompt}>${p.prompt}</a>
        <div class="reason" title=${p.reasons.join("\n")}>${reason}</div>
      </td>
      <td>
        <${Badge}
          state=${p.state}
        />${progress && !progress.done ? html`<div><${ProgressNote} progress=${progress} /></div>` : null}
      </td>
      <td class="paths" title=${p.outputs.join("\n")}>${p.outputs.join(", ")}</td>
      <td title=${p.label ?? ""}>${p.source ?? "-"}${p.label ? ` (${p.label})` : ""}</td>
      <td title=${p.model ?? ""}>${p.model ?? "-"}</td>
      <td>${duration(p.durationMs)}</td>
    </tr>
  `;
}

function haystack(p: PromptStatus): string {
  return `${p.prompt} ${p.outputs.join(" ")} ${p.model ?? ""} ${p.source ?? ""} ${p.label ?? ""} ${p.state}`.toLowerCase();
}
