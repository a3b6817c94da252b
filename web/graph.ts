/** The dependency graph (pc graph), drawn by Mermaid in the page; Mermaid is loaded only when this page opens. */
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "htm/preact";
import { getJson } from "./api.js";
import type { Live } from "./main.js";

export function GraphPage({ live }: { live: Live }) {
  const box = useRef<HTMLDivElement>(null);
  const [note, setNote] = useState<string | undefined>("Drawing the graph…");
  const stamp = JSON.stringify(live.report?.prompts.map((p) => [p.prompt, p.state, p.dependsOn]) ?? null);
  useEffect(() => {
    let current = true;
    (async () => {
      const [{ mermaid: text, prompts }, { default: mermaid }] = await Promise.all([
        getJson<{ mermaid: string; prompts: number }>("/api/graph"),
        import("mermaid"),
      ]);
      if (!current) return;
      if (prompts === 0) return setNote("No prompts yet.");
      mermaid.initialize({
        startOnLoad: false,
        securityLevel: "strict",
        theme: "neutral",
        maxTextSize: 10_000_000,
        maxEdges: 100_000,
      });
      const { svg } = await mermaid.render(`graph-${Date.now()}`, text);
      if (!current || !box.current) return;
      box.current.innerHTML = svg;
      setNote(undefined);
    })().catch((error: Error) => current && setNote(error.message));
    return () => {
      current = false;
    };
  }, [stamp]);
  return html`
    <h1>Dependency graph</h1>
    <p class="muted">
      Prompts (coloured by state), the files they read and the files they write; a thick arrow is a dependency between
      prompts.
    </p>
    ${note ? html`<p class="muted" role="status">${note}</p>` : null}
    <div class="graph" ref=${box} data-testid="graph"></div>
  `;
}
