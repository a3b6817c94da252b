import { PcError } from "../util/errors.js";

export interface GraphNode {
  prompt: string;
  outputs: string[];
  /** Project files the prompt reads (any of which may be another prompt's output). */
  inputs: string[];
}

export interface PromptGraph {
  /** Prompts in dependency order (dependencies first), ties broken by path. */
  order: string[];
  /** prompt -> the prompts whose outputs it reads. */
  dependsOn: Map<string, string[]>;
  /** output path -> owning prompt. */
  owners: Map<string, string>;
  /** Prompts that cannot be planned, with the reason (output conflicts, cycles). */
  errors: Map<string, PcError>;
}

/** Builds the dependency graph between prompts. Pure. */
export function buildGraph(nodes: GraphNode[]): PromptGraph {
  // By path (each prompt is one node): conflicts name their prompts, and the order breaks ties, by path.
  const byPath = [...nodes].sort((a, b) => (a.prompt < b.prompt ? -1 : 1));
  const errors = new Map<string, PcError>();
  const owners = new Map<string, string>();
  for (const node of byPath) {
    for (const output of node.outputs) {
      const owner = owners.get(output);
      if (owner && owner !== node.prompt) {
        const error = new PcError(
          "PC_OUTPUT_CONFLICT",
          `output "${output}" is claimed by both ${owner} and ${node.prompt}`,
          {
            file: node.prompt,
            key: "output",
            hint: "Each generated file is owned by exactly one prompt: rename the output of one of them.",
          },
        );
        errors.set(owner, error);
        errors.set(node.prompt, error);
      } else {
        owners.set(output, node.prompt);
      }
    }
  }
  const dependsOn = new Map<string, string[]>();
  for (const node of nodes) {
    const deps = new Set<string>();
    for (const input of node.inputs) {
      const owner = owners.get(input);
      if (owner && owner !== node.prompt) deps.add(owner);
    }
    dependsOn.set(node.prompt, [...deps].sort());
  }

  // Depth-first topological sort; a back edge is a cycle, reported on every prompt in it.
  const order: string[] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (prompt: string) => {
    const seen = state.get(prompt);
    if (seen === "done") return;
    if (seen === "visiting") {
      const cycle = [...stack.slice(stack.indexOf(prompt)), prompt];
      const error = new PcError("PC_GRAPH_CYCLE", `prompts depend on each other in a cycle: ${cycle.join(" -> ")}`, {
        file: prompt,
        key: "context",
        hint: "A prompt cannot read (through context or file()) an output that depends on its own output; remove one edge.",
      });
      for (const p of cycle) errors.set(p, error);
      return;
    }
    state.set(prompt, "visiting");
    stack.push(prompt);
    for (const dep of dependsOn.get(prompt) ?? []) visit(dep);
    stack.pop();
    state.set(prompt, "done");
    order.push(prompt);
  };
  for (const node of byPath) visit(node.prompt);
  return { order, dependsOn, owners, errors };
}
