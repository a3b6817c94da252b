/**
 * Renders a project graph as Mermaid (renders on GitHub) or Graphviz DOT. Pure.
 *
 * Three kinds of node: prompts (styled by state), the files they write, and the other files they
 * read. A file written by one prompt and read by another is one node, so the dependency between
 * the two prompts is the path through it; those edges are drawn thick.
 */
import type { PromptState } from "../plan/states.js";
import type { ProjectGraph } from "./graph.js";

export type GraphFormat = "mermaid" | "dot" | "json";

interface Node {
  id: string;
  kind: "prompt" | "output" | "input";
  label: string;
  state?: PromptState;
  tooltip?: string;
}

interface Edge {
  from: string;
  to: string;
  /** reads: an input file -> prompt; writes: prompt -> output; depends: another prompt's output -> prompt. */
  kind: "reads" | "writes" | "depends";
}

const STYLE: Record<
  PromptState | "input" | "output",
  { fill: string; stroke: string; color: string; dashed?: boolean }
> = {
  fresh: { fill: "#dcfce7", stroke: "#16a34a", color: "#14532d" },
  stale: { fill: "#fef9c3", stroke: "#ca8a04", color: "#713f12" },
  new: { fill: "#cffafe", stroke: "#0891b2", color: "#164e63" },
  missing: { fill: "#ffedd5", stroke: "#ea580c", color: "#7c2d12" },
  drifted: { fill: "#fae8ff", stroke: "#c026d3", color: "#701a75" },
  failed: { fill: "#fee2e2", stroke: "#dc2626", color: "#7f1d1d" },
  invalid: { fill: "#fee2e2", stroke: "#991b1b", color: "#7f1d1d", dashed: true },
  orphaned: { fill: "#f3f4f6", stroke: "#6b7280", color: "#374151", dashed: true },
  input: { fill: "#ffffff", stroke: "#9ca3af", color: "#1f2937" },
  output: { fill: "#f8fafc", stroke: "#475569", color: "#0f172a" },
};

/** Nodes with short stable ids (p0, o0, f0 in path order) and the edges between them. */
function layout(graph: ProjectGraph): { nodes: Node[]; edges: Edge[] } {
  const prompts = [...graph.prompts].sort((a, b) => cmp(a.prompt, b.prompt));
  const written = [...new Set(prompts.flatMap((p) => p.outputs))].sort(cmp);
  const writtenSet = new Set(written);
  const read = [...new Set(prompts.flatMap((p) => p.inputs))].filter((f) => !writtenSet.has(f)).sort(cmp);
  // Every file a prompt reads or writes, by path: an output (o0, ...) or an input no prompt writes (f0, ...).
  const files = new Map<string, Node>([
    ...written.map((o, i): [string, Node] => [o, { id: `o${i}`, kind: "output", label: o }]),
    ...read.map((f, i): [string, Node] => [f, { id: `f${i}`, kind: "input", label: f }]),
  ]);
  const promptNodes = prompts.map((p, i): Node => ({
    id: `p${i}`,
    kind: "prompt",
    label: p.prompt,
    state: p.state,
    tooltip: [p.model ? `model: ${p.model}` : "", ...p.reasons].filter(Boolean).join("\n"),
  }));
  const edges: Edge[] = [];
  prompts.forEach((p, i) => {
    const id = `p${i}`;
    for (const input of p.inputs) {
      const file = files.get(input);
      if (file) edges.push({ from: file.id, to: id, kind: file.kind === "output" ? "depends" : "reads" });
    }
    for (const output of p.outputs) {
      const file = files.get(output);
      if (file) edges.push({ from: id, to: file.id, kind: "writes" });
    }
  });
  return { nodes: [...promptNodes, ...files.values()], edges };
}

/** Mermaid flowchart. Labels are quoted, with every character Mermaid or HTML could read as markup as an entity code. */
export function toMermaid(graph: ProjectGraph): string {
  const { nodes, edges } = layout(graph);
  const lines = ["flowchart LR"];
  for (const n of nodes) {
    const label = `"${mermaidText(n.state ? `${n.label} (${n.state})` : n.label)}"`;
    const shape = n.kind === "prompt" ? `(${label})` : n.kind === "output" ? `[/${label}/]` : `[${label}]`;
    lines.push(`  ${n.id}${shape}:::${n.state ?? n.kind}`);
  }
  const arrow = { reads: "-.->", writes: "-->", depends: "==>" };
  for (const e of edges) lines.push(`  ${e.from} ${arrow[e.kind]} ${e.to}`);
  const used = new Set(nodes.map((n) => n.state ?? n.kind));
  for (const [name, s] of Object.entries(STYLE)) {
    if (!used.has(name as keyof typeof STYLE)) continue;
    lines.push(
      `  classDef ${name} fill:${s.fill},stroke:${s.stroke},color:${s.color}${s.dashed ? ",stroke-dasharray:4 4" : ""}`,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** `"`, `#`, `<`, `>`, `&` and backticks as Mermaid entity codes (#34;); line breaks as spaces. */
function mermaidText(text: string): string {
  return text.replace(/[\r\n]+/g, " ").replace(/["#<>&`]/g, (c) => `#${c.charCodeAt(0)};`);
}

/** Graphviz DOT digraph. */
export function toDot(graph: ProjectGraph): string {
  const { nodes, edges } = layout(graph);
  const lines = [
    "digraph pc {",
    "  rankdir=LR;",
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [color="#64748b"];',
  ];
  for (const n of nodes) {
    const s = STYLE[n.state ?? (n.kind as "input" | "output")];
    const shape = n.kind === "prompt" ? "box" : n.kind === "output" ? "note" : "box";
    const style = ["filled", n.kind === "prompt" ? "rounded" : "", s.dashed ? "dashed" : ""].filter(Boolean).join(",");
    const attrs = [
      `label=${dotString(n.state ? `${n.label}\n${n.state}` : n.label)}`,
      `shape=${shape}`,
      `style=${dotString(style)}`,
      `fillcolor=${dotString(s.fill)}`,
      `color=${dotString(s.stroke)}`,
      `fontcolor=${dotString(s.color)}`,
      ...(n.state ? [`class=${dotString(n.state)}`] : []),
      ...(n.tooltip ? [`tooltip=${dotString(n.tooltip)}`] : []),
    ];
    lines.push(`  ${n.id} [${attrs.join(", ")}];`);
  }
  const edgeAttrs = { reads: ' [style="dashed"]', writes: "", depends: " [penwidth=2]" };
  for (const e of edges) lines.push(`  ${e.from} -> ${e.to}${edgeAttrs[e.kind]};`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** A DOT quoted string; `\n` inside it is Graphviz's centered line break. */
function dotString(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}

export function toJson(graph: ProjectGraph): unknown {
  return {
    prompts: graph.prompts.map((p) => ({
      prompt: p.prompt,
      state: p.state,
      reasons: p.reasons,
      model: p.model ?? null,
      inputs: p.inputs,
      outputs: p.outputs,
      dependsOn: p.dependsOn,
    })),
  };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
