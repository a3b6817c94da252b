import { PcError } from "../util/errors.js";
import { ownersOf, parseLoaded, renderLoaded, type Project, type LoadedPrompt, type RenderedStage } from "./project.js";
import { selectPrompts } from "./selection.js";
import { count } from "../util/plural.js";

/**
 * Resolves a command-line path to exactly one prompt (a prompt file or one of its outputs), for
 * commands about a single prompt (`pc diff`, `pc log`). A prompt that is gone but still has a lock
 * entry is accepted: its generations are still in the cache.
 */
export function selectOnePrompt(project: Project, cwd: string, given: string, command: string): string {
  const selected = selectPrompts(project, cwd, [given]); // at least one, else it throws
  if (selected.length !== 1) {
    throw new PcError("PC_USAGE", `"${given}" names ${count(selected.length, "prompt")}; ${command} takes one`, {
      hint: `Give one prompt file or one of its outputs, e.g. pc ${command} ${selected[0]}`,
    });
  }
  return selected[0];
}

/**
 * Parses (if the planner took the unchanged shortcut) and renders one prompt, so its messages and
 * hashes are those of the files now. Throws the prompt's own error if it cannot be rendered.
 */
export async function renderOne(project: Project, prompt: string): Promise<RenderedStage> {
  const loaded = project.prompts.get(prompt);
  if (!loaded) {
    throw new PcError("PC_PROMPT_NOT_FOUND", "the prompt file is gone; only its lock entry remains", {
      file: prompt,
      hint: "Restore the prompt (git checkout) to work with it.",
    });
  }
  if (loaded.stage !== "unchanged" && loaded.stage !== "recalled") return readyToGenerate(loaded);
  const parsed = await parseLoaded(project.root, loaded);
  const rendered = await renderLoaded(
    project.root,
    { ...loaded, parsed },
    project.files,
    ownersOf(project.prompts.values()),
    project.config.modelsDir,
  );
  project.prompts.set(prompt, rendered);
  return readyToGenerate(rendered);
}

/**
 * Parses (if the planner took its hashes from a lock entry) and renders a prompt again with the
 * files as they are now (the prompts it reads may have just been built). The project holds the
 * prompt returned.
 */
export async function renderAgain(project: Project, loaded: LoadedPrompt): Promise<LoadedPrompt> {
  const parsed = await parseLoaded(project.root, loaded);
  for (const input of loaded.inputs) project.files.forget(input);
  const rendered = await renderLoaded(
    project.root,
    { ...loaded, parsed },
    project.files,
    project.graph.owners,
    project.config.modelsDir,
  );
  project.prompts.set(loaded.prompt, rendered);
  return rendered;
}

/** The prompt, rendered; else throws the prompt's own error, or that it reads an output not built yet. */
export function readyToGenerate(loaded: LoadedPrompt, hint?: (owner: string) => string): RenderedStage {
  if (loaded.stage === "invalid") throw loaded.error;
  if (loaded.stage === "waiting") throw readsUnbuiltOutput(loaded.prompt, loaded.waitsFor, hint?.(loaded.waitsFor));
  if (loaded.stage !== "rendered") throw new Error(`${loaded.prompt} is not rendered (${loaded.stage})`);
  return loaded;
}

/** The prompt reads an output of `owner` that does not exist yet. */
export function readsUnbuiltOutput(
  prompt: string,
  owner: string,
  hint = `Build ${owner} first (pc build ${owner}).`,
): PcError {
  return new PcError("PC_FILE_UNREADABLE", `reads an output of ${owner} that does not exist`, { file: prompt, hint });
}

/** Pins that `pc diff` and `pc seed` try instead of the prompt's own, without editing the prompt file. */
export interface PinOverrides {
  seed?: number;
  temperature?: number;
  model?: string;
}

/** The prompt with overridden pins, rendered again (a `gguf:` model's bytes become an input). */
export async function withPins(project: Project, loaded: RenderedStage, pins: PinOverrides): Promise<RenderedStage> {
  if (pins.seed === undefined && pins.temperature === undefined && pins.model === undefined) return loaded;
  const { parsed } = loaded;
  const frontmatter = {
    ...parsed.frontmatter,
    ...(pins.seed !== undefined ? { seed: pins.seed } : {}),
    ...(pins.temperature !== undefined ? { temperature: pins.temperature } : {}),
    ...(pins.model !== undefined ? { model: pins.model } : {}),
  };
  // Rendering reads the prompt's own hash from inputHashes and records every input afresh.
  const copy = { ...loaded, parsed: { ...parsed, frontmatter } };
  return readyToGenerate(await renderLoaded(project.root, copy, project.files, new Map(), project.config.modelsDir));
}
