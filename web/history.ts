/** A prompt's generations (pc log), compared side by side, and regenerations with another seed or temperature (pc diff). */
import { useState } from "preact/hooks";
import { html } from "htm/preact";
import { getJson, postJson } from "./api.js";
import { ProgressNote, duration } from "./bits.js";
import { SideBySide } from "./diff-view.js";
import type { Comparison, LogEntry, Progress } from "./types.js";

export function History({ prompt, generations }: { prompt: string; generations: LogEntry[] }) {
  const [older, setOlder] = useState<string | undefined>(generations[1]?.id);
  const [newer, setNewer] = useState<string>(generations[0]?.id ?? "disk");
  const [shown, setShown] = useState<Comparison | undefined>();
  const [note, setNote] = useState<string | undefined>();
  const compare = async (a: string, b: string) => {
    setNote(undefined);
    try {
      setShown(await getJson<Comparison>("/api/diff", { prompt, old: a, new: b }));
    } catch (error) {
      setNote((error as Error).message);
    }
  };
  if (generations.length === 0)
    return html`<section>
      <h2>Generations</h2>
      <p class="muted">None in the cache yet: build the prompt or accept an answer.</p>
    </section>`;
  return html`
    <section>
      <h2>Generations</h2>
      <table class="history">
        <thead>
          <tr>
            <th>old</th>
            <th>new</th>
            <th>id</th>
            <th>when</th>
            <th>source</th>
            <th>model</th>
            <th>seed</th>
            <th>temp.</th>
            <th>tokens</th>
            <th>took</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${generations.map(
            (g) => html`
              <tr data-generation=${g.id}>
                <td>
                  <input
                    type="radio"
                    name="old"
                    aria-label=${`old: ${g.id}`}
                    checked=${older === g.id}
                    onChange=${() => setOlder(g.id)}
                  />
                </td>
                <td>
                  <input
                    type="radio"
                    name="new"
                    aria-label=${`new: ${g.id}`}
                    checked=${newer === g.id}
                    onChange=${() => setNewer(g.id)}
                  />
                </td>
                <td>
                  <code>${g.id.slice(0, 12)}</code>${g.onDisk ? html` <span class="badge fresh">on disk</span>` : null}
                </td>
                <td>${new Date(g.createdAt).toLocaleString()}</td>
                <td>${g.source}${g.label ? ` (${g.label})` : ""}</td>
                <td>${g.model}</td>
                <td>${g.seed}</td>
                <td>${g.temperature}</td>
                <td>${g.usage ? g.usage.completionTokens : "-"}</td>
                <td>${duration(g.durationMs)}</td>
                <td><button class="small" onClick=${() => compare(g.id, "disk")}>vs disk</button></td>
              </tr>
            `,
          )}
          <tr>
            <td></td>
            <td>
              <input
                type="radio"
                name="new"
                aria-label="new: the files on disk"
                checked=${newer === "disk"}
                onChange=${() => setNewer("disk")}
              />
            </td>
            <td colspan="9" class="muted">the files on disk</td>
          </tr>
        </tbody>
      </table>
      <button disabled=${!older || older === newer} onClick=${() => compare(older!, newer)}>Compare</button>
      ${note ? html`<pre class="problem">${note}</pre>` : null}
      ${shown ? html`<${SideBySide} comparison=${shown} />` : null}
    </section>
  `;
}

export function TrySeed({ prompt, running }: { prompt: string; running?: Progress }) {
  const [seed, setSeed] = useState("");
  const [temperature, setTemperature] = useState("");
  const [busy, setBusy] = useState(false);
  const [shown, setShown] = useState<Comparison | undefined>();
  const [note, setNote] = useState<string | undefined>();
  const run = async () => {
    setBusy(true);
    setNote(undefined);
    setShown(undefined);
    try {
      setShown(await postJson<Comparison>("/api/try", { prompt, seed, temperature }));
    } catch (error) {
      setNote((error as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <section>
      <h2>Try another seed or temperature</h2>
      <p class="muted">
        Regenerates without writing anything and shows the difference with the files on disk; the generation is kept in
        the cache (it appears above).
      </p>
      <div class="row">
        <input
          type="number"
          placeholder="seed"
          aria-label="Seed"
          value=${seed}
          onInput=${(e: Event) => setSeed((e.target as HTMLInputElement).value)}
        />
        <input
          type="number"
          step="0.1"
          min="0"
          max="2"
          placeholder="temperature"
          aria-label="Temperature"
          value=${temperature}
          onInput=${(e: Event) => setTemperature((e.target as HTMLInputElement).value)}
        />
        <button disabled=${busy} onClick=${run}>Regenerate and compare</button>
        ${busy && running && !running.done ? html`<${ProgressNote} progress=${running} />` : null}
      </div>
      ${note ? html`<pre class="problem">${note}</pre>` : null}
      ${shown ? html`<${SideBySide} comparison=${shown} />` : null}
    </section>
  `;
}
