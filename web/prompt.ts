/** One prompt's page: its state and actions, the prompt as the model receives it, answers from a chat UI, its generations. */
import { useEffect, useState } from "preact/hooks";
import { html } from "htm/preact";
import { getJson, postJson } from "./api.js";
import { Badge, ProgressNote, copyText, duration } from "./bits.js";
import { AnswerBox } from "./answer.js";
import { History, TrySeed } from "./history.js";
import type { Live } from "./main.js";
import type { CheckSummary, PromptPage as Page, PromptStatus } from "./types.js";

export function PromptPage({ prompt, live }: { prompt: string; live: Live }) {
  const [page, setPage] = useState<Page | undefined>();
  const [failure, setFailure] = useState<string | undefined>();
  const current = live.report?.prompts.find((p) => p.prompt === prompt);
  // Read again whenever the prompt's state changes (a build here or in another terminal).
  const stamp = JSON.stringify(current ?? null);
  useEffect(() => {
    getJson<Page>("/api/prompt", { prompt }).then(
      (p) => (setPage(p), setFailure(undefined)),
      (error: Error) => setFailure(error.message),
    );
  }, [prompt, stamp]);
  if (failure && !page) return html`<pre class="problem">${failure}</pre>`;
  if (!page) return html`<p class="muted">Reading ${prompt}…</p>`;
  const status = current ?? page.status;
  const progress = live.progress[prompt];
  return html`
    <h1 class="prompt-title">${prompt} <${Badge} state=${status.state} /></h1>
    <${Summary} status=${status} />
    <${Actions} prompt=${prompt} status=${status} running=${progress && !progress.done ? progress : undefined} />
    ${status.checks ? html`<${Checks} checks=${status.checks} />` : null}
    <${Rendered} page=${page} />
    ${status.state !== "orphaned" ? html`<${AnswerBox} prompt=${prompt} />` : null}
    ${"generations" in page.log ? html`<${History} key=${page.log.generations.map((g) => g.id).join()} prompt=${prompt} generations=${page.log.generations} />` : html`<pre class="problem">${page.log.error.message}</pre>`}
    ${status.state !== "orphaned" && status.state !== "invalid" ? html`<${TrySeed} prompt=${prompt} running=${progress} />` : null}
  `;
}

function Summary({ status }: { status: PromptStatus }) {
  return html`
    <dl class="summary">
      ${
        status.reasons.length
          ? html`<dt>why</dt>
              <dd>
                <ul class="reasons">
                  ${status.reasons.map((r) => html`<li>${r}</li>`)}
                </ul>
              </dd>`
          : null
      }
      <dt>outputs</dt>
      <dd class="paths">${status.outputs.join(", ") || "-"}</dd>
      <dt>source</dt>
      <dd>${status.source ?? "-"}${status.label ? ` (${status.label})` : ""}</dd>
      <dt>model</dt>
      <dd>${status.model ?? "-"}</dd>
      <dt>last generation</dt>
      <dd>${duration(status.durationMs)}</dd>
      ${
        status.dependsOn.length
          ? html`<dt>depends on</dt>
              <dd class="paths">${status.dependsOn.join(", ")}</dd>`
          : null
      }
    </dl>
  `;
}

function Actions({
  prompt,
  status,
  running,
}: {
  prompt: string;
  status: PromptStatus;
  running?: Live["progress"][string];
}) {
  const [busy, setBusy] = useState<string | undefined>();
  const [note, setNote] = useState<{ text: string; bad: boolean } | undefined>();
  const act = async (
    name: string,
    path: string,
    body: Record<string, unknown>,
    tell: (r: any) => { text: string; bad: boolean },
  ) => {
    setBusy(name);
    setNote(undefined);
    try {
      setNote(tell(await postJson(path, body)));
    } catch (error) {
      setNote({ text: (error as Error).message, bad: true });
    } finally {
      setBusy(undefined);
    }
  };
  const built = (r: {
    prompts: Array<{ prompt: string; outcome: string; reasons: string[]; error?: { message: string; hint?: string } }>;
  }) => {
    const mine = r.prompts.find((p) => p.prompt === prompt);
    const text = mine
      ? `${mine.outcome}${mine.error ? `: ${mine.error.message}${mine.error.hint ? `\n${mine.error.hint}` : ""}` : mine.reasons[0] ? `: ${mine.reasons[0]}` : ""}`
      : "nothing to build";
    return { text, bad: mine?.outcome === "failed" || mine?.outcome === "drifted" };
  };
  const verified = (r: { prompts: Array<{ outcome: string; reasons: string[]; hints: string[] }> }) => {
    const mine = r.prompts[0];
    return {
      text: mine ? [`${mine.outcome}`, ...mine.reasons, ...mine.hints].join("\n") : "nothing to verify",
      bad: mine?.outcome !== "reproducible",
    };
  };
  const off = Boolean(busy) || status.state === "orphaned";
  return html`
    <section class="actions">
      <button class="primary" disabled=${off} onClick=${() => act("build", "/api/build", { prompt }, built)}>
        Build
      </button>
      <button
        disabled=${off}
        title="Regenerate even if fresh, and overwrite a hand edit"
        onClick=${() => act("force", "/api/build", { prompt, force: true }, built)}
      >
        Force rebuild
      </button>
      <button
        disabled=${off}
        title="Regenerate without the cache, write nothing, compare with the lock"
        onClick=${() => act("verify", "/api/verify", { prompt }, verified)}
      >
        Verify
      </button>
      ${busy ? html`<span class="muted">${busy}…</span>` : null}
      ${running ? html`<${ProgressNote} progress=${running} />` : null}
      ${note ? html`<pre class=${note.bad ? "problem" : "note"}>${note.text}</pre>` : null}
    </section>
  `;
}

function Checks({ checks }: { checks: CheckSummary }) {
  const took = `${(checks.durationMs / 1000).toFixed(1)} s`;
  return html`
    <section>
      <h2>Checks</h2>
      <ul class="checks">
        <li class=${checks.passed ? "good" : "bad"} data-testid="checks">
          ${checks.passed ? `passed on the recorded outputs (${took})` : `failed on the recorded outputs (${took})`}
          ${checks.failure ? html`<pre>${checks.failure}</pre>` : null}
        </li>
      </ul>
    </section>
  `;
}

function Rendered({ page }: { page: Page }) {
  const [copied, setCopied] = useState<string | undefined>();
  if ("error" in page.render)
    return html`<section>
      <h2>The prompt as the model receives it</h2>
      <pre class="problem">${page.render.error.message}</pre>
    </section>`;
  const text = page.render.text;
  const copy = () =>
    copyText(text).then(
      () => setCopied("Copied: paste it into a chat UI, then paste its answer below."),
      (e: Error) => setCopied(e.message),
    );
  return html`
    <section>
      <h2>
        The prompt as the model receives it
        <button class="primary" onClick=${copy}>Copy</button>
        ${copied ? html`<span class="muted" role="status">${copied}</span>` : null}
      </h2>
      <pre class="rendered" data-testid="rendered">${text}</pre>
    </section>
  `;
}
