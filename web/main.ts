/**
 * pc ui's pages: the prompt list, one prompt's page, the dependency graph. One EventSource keeps
 * every prompt's state and the progress of running generations current; the pages only show them.
 */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { html } from "htm/preact";
import { GraphPage } from "./graph.js";
import { PromptList } from "./list.js";
import { PromptPage } from "./prompt.js";
import type { Progress, StatusReport } from "./types.js";
import "./app.css";

export interface Live {
  report?: StatusReport;
  progress: Record<string, Progress>;
  /** A problem computing the states (e.g. a broken lock), shown above every page. */
  problem?: string;
  connected: boolean;
}

function useLive(): Live {
  const [live, setLive] = useState<Live>({ progress: {}, connected: false });
  useEffect(() => {
    // The stream's first event is every prompt's state; later ones follow builds and saves.
    const events = new EventSource("/api/events");
    events.onopen = () => setLive((l) => ({ ...l, connected: true }));
    events.onerror = () => setLive((l) => ({ ...l, connected: false }));
    events.addEventListener("status", (e) =>
      setLive((l) => ({ ...l, report: JSON.parse(e.data), problem: undefined })),
    );
    events.addEventListener("problem", (e) => setLive((l) => ({ ...l, problem: JSON.parse(e.data).message })));
    const onRun = (e: MessageEvent) => setLive((l) => ({ ...l, progress: withEvent(l.progress, JSON.parse(e.data)) }));
    events.addEventListener("build", onRun);
    events.addEventListener("verify", onRun);
    return () => events.close();
  }, []);
  return live;
}

/** The progress of each running prompt after one build or verify event. */
function withEvent(
  progress: Record<string, Progress>,
  event: {
    type: string;
    prompt?: string;
    tokens?: number;
    elapsedMs?: number;
    result?: { prompt: string; outcome: string };
  },
) {
  if (event.type === "start" && event.prompt) return { ...progress, [event.prompt]: { tokens: 0, elapsedMs: 0 } };
  if (event.type === "progress" && event.prompt)
    return { ...progress, [event.prompt]: { tokens: event.tokens ?? 0, elapsedMs: event.elapsedMs ?? 0 } };
  if (event.type === "done" && event.result) {
    const before = progress[event.result.prompt] ?? { tokens: 0, elapsedMs: 0 };
    return { ...progress, [event.result.prompt]: { ...before, done: event.result.outcome } };
  }
  return progress;
}

function useRoute(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const onChange = () => setHash(location.hash);
    addEventListener("hashchange", onChange);
    return () => removeEventListener("hashchange", onChange);
  }, []);
  return hash;
}

function App() {
  const live = useLive();
  const route = useRoute();
  const prompt = route.startsWith("#/prompt/") ? decodeURIComponent(route.slice("#/prompt/".length)) : undefined;
  const page = prompt
    ? html`<${PromptPage} prompt=${prompt} live=${live} />`
    : route === "#/graph"
      ? html`<${GraphPage} live=${live} />`
      : html`<${PromptList} live=${live} />`;
  return html`
    <header class="top">
      <a class="brand" href="#/">pc</a>
      <nav>
        <a href="#/" class=${!prompt && route !== "#/graph" ? "here" : ""}>Prompts</a>
        <a href="#/graph" class=${route === "#/graph" ? "here" : ""}>Graph</a>
      </nav>
      <span class=${`link ${live.connected ? "on" : "off"}`} title="Live updates"
        >${live.connected ? "live" : "reconnecting…"}</span
      >
    </header>
    ${live.problem ? html`<pre class="problem">${live.problem}</pre>` : null}
    <main>${page}</main>
  `;
}

render(html`<${App} />`, document.getElementById("app")!);
