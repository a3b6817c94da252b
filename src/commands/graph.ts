import { loadProject } from "../plan/project.js";
import { computeStates, type PromptState } from "../plan/states.js";
import { selectPrompts, withDependencies } from "../plan/selection.js";

export interface GraphOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** Limit the graph to these prompts (prompt files, outputs or folders) and what they depend on. */
  paths?: string[];
}

/** One prompt in the graph: what it reads, what it writes, and its state. */
export interface GraphPrompt {
  prompt: string;
  state: PromptState;
  reasons: string[];
  /** The pinned model (from the prompt, or from the lock when the prompt is gone). */
  model?: string;
  /** Files the prompt reads, other than itself: context files, partials, model files, other prompts' outputs. */
  inputs: string[];
  outputs: string[];
  /** Prompts whose outputs this one reads. */
  dependsOn: string[];
}

export interface ProjectGraph {
  /** In dependency order (dependencies first), then orphaned lock entries. */
  prompts: GraphPrompt[];
}

/** The prompts of a project with their inputs, outputs, dependencies and states. */
export async function graph(options: GraphOptions = {}): Promise<ProjectGraph> {
  const cwd = options.cwd ?? process.cwd();
  const project = await loadProject(cwd);
  const states = await computeStates(project);
  const selected = selectPrompts(project, cwd, options.paths);
  const scope = selected ? withDependencies(project, selected) : undefined;
  const prompts: GraphPrompt[] = [];
  for (const s of states) {
    if (scope && !scope.has(s.prompt)) continue;
    const loaded = project.prompts.get(s.prompt);
    const entry = loaded?.entry ?? project.lock.prompts[s.prompt];
    const inputs = loaded ? loaded.inputs : Object.keys(entry?.inputs ?? {});
    prompts.push({
      prompt: s.prompt,
      state: s.state,
      reasons: s.reasons,
      model: loaded?.parsed?.frontmatter.model ?? entry?.model,
      inputs: inputs.filter((i) => i !== s.prompt).sort(),
      outputs: [...s.outputs],
      dependsOn: s.dependsOn,
    });
  }
  return { prompts };
}
