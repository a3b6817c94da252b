/** The chat-UI round trip's second half: paste the chat's answer, see what pc accept would write, accept it. */
import { useState } from "preact/hooks";
import { html } from "htm/preact";
import { postJson } from "./api.js";
import type { AcceptResult } from "./types.js";

export function AnswerBox({ prompt }: { prompt: string }) {
  const [answer, setAnswer] = useState("");
  const [label, setLabel] = useState("");
  const [force, setForce] = useState(false);
  const [preview, setPreview] = useState<AcceptResult | undefined>();
  const [note, setNote] = useState<{ text: string; bad: boolean } | undefined>();
  const send = async (dryRun: boolean) => {
    setNote(undefined);
    try {
      const result = await postJson<AcceptResult>("/api/accept", { prompt, answer, label, force, dryRun });
      if (dryRun) return setPreview(result);
      setPreview(undefined);
      setAnswer("");
      const files = Object.keys(result.outputs).join(", ");
      const then = result.dependents.length
        ? ` ${result.dependents.join(", ")} now need${result.dependents.length === 1 ? "s" : ""} a build.`
        : "";
      setNote({
        text: `Accepted: ${files} ${result.written.length ? "written" : "unchanged"} and recorded as a chat answer.${then}`,
        bad: false,
      });
    } catch (error) {
      setPreview(undefined);
      setNote({ text: (error as Error).message, bad: true });
    }
  };
  const edit = (value: string) => (setAnswer(value), setPreview(undefined));
  return html`
    <section class="answer">
      <h2>Answer from a chat UI</h2>
      <textarea
        rows="8"
        placeholder="Paste the chat's whole answer here"
        aria-label="Answer"
        value=${answer}
        onInput=${(e: Event) => edit((e.target as HTMLTextAreaElement).value)}
      ></textarea>
      <div class="row">
        <input
          placeholder="What wrote it, e.g. chatgpt web"
          aria-label="Answer label"
          value=${label}
          onInput=${(e: Event) => setLabel((e.target as HTMLInputElement).value)}
        />
        <label
          ><input
            type="checkbox"
            checked=${force}
            onChange=${(e: Event) => setForce((e.target as HTMLInputElement).checked)}
          />
          overwrite a hand edit</label
        >
        <button disabled=${!answer.trim()} onClick=${() => send(true)}>Preview</button>
        <button class="primary" disabled=${!preview} onClick=${() => send(false)}>Accept</button>
      </div>
      ${preview?.texts ? html`<${Preview} result=${preview} />` : null}
      ${note ? html`<pre class=${note.bad ? "problem" : "note"} role="status">${note.text}</pre>` : null}
    </section>
  `;
}

function Preview({ result }: { result: AcceptResult }) {
  return html`
    <div class="preview">
      ${Object.entries(result.texts!).map(
        ([file, text]) => html`
          <h3>
            ${file} <span class="muted">${result.written.includes(file) ? "would be written" : "same as on disk"}</span>
          </h3>
          <pre data-file=${file}>${text}</pre>
        `,
      )}
    </div>
  `;
}
