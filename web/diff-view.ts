/** Two versions of a prompt's outputs side by side, line by line (the `diff` package finds the changes). */
import { diffLines } from "diff";
import { html } from "htm/preact";
import type { Comparison } from "./types.js";

interface Cell {
  n?: number;
  text?: string;
  kind: "same" | "removed" | "added" | "blank";
}

export function SideBySide({ comparison }: { comparison: Comparison }) {
  const files = [...new Set([...Object.keys(comparison.old.files), ...Object.keys(comparison.new.files)])].sort();
  return html`
    <div class="diff" data-testid="diff">
      <div class="diff-labels"><span>${comparison.old.label}</span><span>${comparison.new.label}</span></div>
      ${files.map((file) => html`<${FileDiff} file=${file} a=${comparison.old.files[file]} b=${comparison.new.files[file]} />`)}
    </div>
  `;
}

function FileDiff({ file, a, b }: { file: string; a?: string; b?: string }) {
  if (a === b) return html`<h3>${file} <span class="muted">identical</span></h3>`;
  const rows = pairRows(a ?? "", b ?? "");
  return html`
    <h3>
      ${file}
      ${a === undefined ? html`<span class="muted">only in the new side</span>` : b === undefined ? html`<span class="muted">only in the old side</span>` : null}
    </h3>
    <table class="sbs">
      <tbody>
        ${rows.map(
          ([l, r]) =>
            html`<tr>
              <td class="n">${l.n ?? ""}</td>
              <td class=${l.kind}>${l.text ?? ""}</td>
              <td class="n">${r.n ?? ""}</td>
              <td class=${r.kind}>${r.text ?? ""}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  `;
}

/** Rows of the two columns: unchanged lines face each other, a removed block faces the block that replaced it. */
function pairRows(a: string, b: string): Array<[Cell, Cell]> {
  const rows: Array<[Cell, Cell]> = [];
  let left = 1;
  let right = 1;
  let removed: string[] = [];
  const flush = (added: string[]) => {
    for (let i = 0; i < Math.max(removed.length, added.length); i++) {
      const l: Cell = i < removed.length ? { n: left++, text: removed[i], kind: "removed" } : { kind: "blank" };
      const r: Cell = i < added.length ? { n: right++, text: added[i], kind: "added" } : { kind: "blank" };
      rows.push([l, r]);
    }
    removed = [];
  };
  for (const change of diffLines(a, b)) {
    const lines = change.value.replace(/\n$/, "").split("\n");
    if (change.removed) removed = lines;
    else if (change.added) flush(lines);
    else {
      flush([]);
      for (const text of lines)
        rows.push([
          { n: left++, text, kind: "same" },
          { n: right++, text, kind: "same" },
        ]);
    }
  }
  flush([]);
  return rows;
}
