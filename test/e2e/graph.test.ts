import { unlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { Window } from "happy-dom";
import { fromDot } from "ts-graphviz";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "../../src/commands/build.js";
import { runPc } from "../support/pc.js";
import { removeProject, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

// A project whose prompts depend on each other, in every state the graph colours:
// types.md (stale: its context changed) -> api.md (stale: depends on types) ; odd.md fresh ;
// new.md new ; broken.md invalid (a typo in its frontmatter, so its output is unknown) ;
// gone.md orphaned (built, then deleted).
const ODD = 'prompts/a "quoted" <odd> #1 & `co`.md';
let root: string;
const server = useTestServer();

beforeAll(async () => {
  root = (
    await makeProject({
      "src/spec.md": "A user has a name.\n",
      "prompts/_style.md": "Use two-space indents.\n",
      "prompts/types.md": promptFile({ output: "generated/types.ts", context: ["src/spec.md"] }),
      "prompts/api.md": promptFile({
        output: "generated/api.ts",
        context: ["generated/types.ts"],
        body: 'Write the API.\n<%~ include("_style") %>',
      }),
      [ODD]: promptFile({ output: "generated/odd #1.py" }),
      "prompts/gone.md": promptFile({ output: "generated/gone.py" }),
    })
  ).root;
  const first = await build({ cwd: root, baseUrl: server.baseURL });
  expect(first.ok).toBe(true);
  await writeFile(path.join(root, "src/spec.md"), "A user has a name and an email.\n");
  await unlink(path.join(root, "prompts/gone.md"));
  await writeFile(path.join(root, "prompts/new.md"), promptFile({ output: "generated/new.py" }));
  await writeFile(path.join(root, "prompts/broken.md"), promptFile({ output: "generated/broken.py", temprature: 0.5 }));
});

afterAll(async () => {
  await removeProject(root);
});

/** The graph as labelled edges: "from --kind--> to", the way a reader sees it. */
const EXPECTED_EDGES = [
  "src/spec.md --reads--> prompts/types.md",
  "prompts/types.md --writes--> generated/types.ts",
  "generated/types.ts --depends--> prompts/api.md",
  "prompts/_style.md --reads--> prompts/api.md",
  "prompts/api.md --writes--> generated/api.ts",
  `${ODD} --writes--> generated/odd #1.py`,
  "prompts/new.md --writes--> generated/new.py",
  "prompts/gone.md --writes--> generated/gone.py",
].sort();

const EXPECTED_STATES = {
  "prompts/types.md": "stale",
  "prompts/api.md": "stale",
  [ODD]: "fresh",
  "prompts/new.md": "new",
  "prompts/broken.md": "invalid",
  "prompts/gone.md": "orphaned",
};

describe("pc graph", () => {
  it("--format json lists each prompt's state, inputs, outputs and dependencies", async () => {
    const run = await runPc(["graph", "--format", "json"], { cwd: root });
    expect(run.code).toBe(0);
    const prompts = JSON.parse(run.stdout).prompts as Array<Record<string, unknown>>;
    expect(Object.fromEntries(prompts.map((p) => [p.prompt, p.state]))).toEqual(EXPECTED_STATES);
    const api = prompts.find((p) => p.prompt === "prompts/api.md")!;
    expect(api).toMatchObject({
      dependsOn: ["prompts/types.md"],
      inputs: ["generated/types.ts", "prompts/_style.md"],
      outputs: ["generated/api.ts"],
      model: "test-model",
    });
    // Dependencies come first.
    const order = prompts.map((p) => p.prompt);
    expect(order.indexOf("prompts/types.md")).toBeLessThan(order.indexOf("prompts/api.md"));
  });

  it("--format mermaid is a flowchart Mermaid parses, with escaped labels and a class per state", async () => {
    const run = await runPc(["graph"], { cwd: root });
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith("flowchart LR\n")).toBe(true);
    // Mermaid sanitizes labels with DOMPurify, which needs a DOM: happy-dom provides one in Node.
    (globalThis as { window?: unknown }).window ??= new Window();
    const { default: mermaid } = await import("mermaid");
    await expect(mermaid.parse(run.stdout)).resolves.toMatchObject({ diagramType: "flowchart-v2" });
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(run.stdout);
    const db = diagram.db as unknown as {
      getVertices(): Map<string, { id: string; text: string; classes: string[] }>;
      getEdges(): Array<{ start: string; end: string; stroke: string }>;
      getClasses(): Map<string, { styles: string[] }>;
    };
    const vertices = [...db.getVertices().values()];
    const text = new Map(vertices.map((v) => [v.id, decodeMermaid(v.text)]));
    const states = Object.fromEntries(
      vertices.filter((v) => v.id.startsWith("p")).map((v) => [text.get(v.id)!.replace(/ \(\w+\)$/, ""), v.classes[0]]),
    );
    expect(states).toEqual(EXPECTED_STATES);
    expect(text.get(vertices.find((v) => v.classes[0] === "fresh")!.id)).toBe(`${ODD} (fresh)`);
    const kind = { dotted: "reads", normal: "writes", thick: "depends" } as Record<string, string>;
    const edges = db.getEdges().map((e) => `${label(text, e.start)} --${kind[e.stroke]}--> ${label(text, e.end)}`);
    expect(edges.sort()).toEqual(EXPECTED_EDGES);
    expect(db.getClasses().get("stale")?.styles.join(",")).toContain("fill:#fef9c3");
  });

  it("--format dot is a digraph Graphviz's grammar parses (ts-graphviz), with the same nodes and edges", async () => {
    const run = await runPc(["graph", "--format", "dot"], { cwd: root });
    expect(run.code).toBe(0);
    const dot = fromDot(run.stdout);
    expect(dot.directed).toBe(true);
    const text = new Map(dot.nodes.map((n) => [n.id, String(n.attributes.get("label")).replace(/\\\\/g, "\\")]));
    const states = Object.fromEntries(
      dot.nodes
        .filter((n) => n.attributes.get("class"))
        .map((n) => [text.get(n.id)!.split("\\n")[0], n.attributes.get("class")]),
    );
    expect(states).toEqual(EXPECTED_STATES);
    const kindOf = (attrs: { get(key: string): unknown }) =>
      attrs.get("style") === "dashed" ? "reads" : attrs.get("penwidth") ? "depends" : "writes";
    const edges = dot.edges.map((e) => {
      const [from, to] = e.targets.map((t) => ("id" in t ? String(t.id) : ""));
      const clean = (id: string) => text.get(id)!.split("\\n")[0];
      return `${clean(from)} --${kindOf(e.attributes)}--> ${clean(to)}`;
    });
    expect(edges.sort()).toEqual(EXPECTED_EDGES);
  });

  it("limits the graph to the given prompts and what they depend on", async () => {
    const run = await runPc(["graph", "prompts/api.md", "--format", "json"], { cwd: root });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout).prompts.map((p: { prompt: string }) => p.prompt)).toEqual([
      "prompts/types.md",
      "prompts/api.md",
    ]);
  });

  it("rejects an unknown format as a usage error", async () => {
    const run = await runPc(["graph", "--format", "svg"], { cwd: root });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--format must be one of mermaid, dot, json");
  });
});

function label(text: Map<string, string>, id: string): string {
  return text.get(id)!.replace(/ \((\w+)\)$/, "");
}

/** Mermaid keeps entity codes (#34;) encoded until it renders; decode them like the browser does. */
function decodeMermaid(text: string): string {
  return text.replace(/ﬂ°°(\d+)¶ß/g, (_, code) => String.fromCharCode(Number(code)));
}
