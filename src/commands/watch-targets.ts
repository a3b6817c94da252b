import fg from "fast-glob";
import { CONFIG_FILE, DEFAULT_CONFIG } from "../util/config.js";
import { GLOB_CHARS } from "../prompt/discover.js";
import { PcError, toPcError } from "../util/errors.js";
import { selectPrompts, withDependencies } from "../plan/selection.js";
import { loadProject, localModelPath } from "../plan/project.js";
import { computeStates, type PromptStatus } from "../plan/states.js";

const IGNORED = ["**/node_modules/**", "**/.git/**", ".pc/**"];

/** What `pc watch` watches, derived from the project after each build. */
export interface WatchTargets {
  /** Every file whose content matters, with the prompts that read it (a prompt reads itself). */
  readers: Map<string, Set<string>>;
  /** Each watched file's sha256 as the project was loaded (undefined: absent). */
  hashes: Map<string, string | undefined>;
  /** Globs a new file must match to matter: the prompt globs and every context glob. */
  globs: string[];
  /** Folders watched for new files: the static part of each glob. */
  dirs: string[];
  /** The output of every prompt with the hash the lock records: the tool's own writes. */
  outputs: Map<string, string | undefined>;
  /** The prompts' states, when the project could be loaded. */
  statuses?: PromptStatus[];
  /** Why the project could not be loaded (the config or the lock is broken). */
  error?: PcError;
}

/**
 * Loads the project and lists what to watch: the config, every prompt in scope with every file it
 * reads (partials, context, file() reads, a local model), context files named but missing, and the
 * folders where new prompts or context-glob matches may appear. When the project cannot be loaded,
 * the config and the previous targets are watched so that fixing it triggers a build.
 */
export async function deriveTargets(
  root: string,
  paths: string[] | undefined,
  previous?: WatchTargets,
): Promise<WatchTargets> {
  const readers = new Map<string, Set<string>>();
  const hashes = new Map<string, string | undefined>();
  const readersOf = (file: string): Set<string> => {
    const found = readers.get(file) ?? new Set<string>();
    readers.set(file, found);
    return found;
  };
  const read = (file: string, prompt: string | undefined, hash?: string) => {
    const fileReaders = readersOf(file);
    if (prompt) fileReaders.add(prompt);
    if (hash !== undefined || !hashes.has(file)) hashes.set(file, hash);
  };
  let project;
  try {
    project = await loadProject(root);
  } catch (error) {
    const fallback: WatchTargets = previous
      ? { ...previous, readers: new Map(previous.readers), hashes: new Map(previous.hashes) }
      : { readers, hashes, globs: DEFAULT_CONFIG.prompts, dirs: baseDirs(DEFAULT_CONFIG.prompts), outputs: new Map() };
    // Also the lock: a conflicted lock is fixed by editing it.
    for (const file of [CONFIG_FILE, "promptfile.lock"])
      if (!fallback.readers.has(file)) fallback.readers.set(file, new Set());
    return { ...fallback, statuses: undefined, error: toPcError(error, "PC_CONFIG_INVALID") };
  }
  const selected = selectPrompts(project, root, paths);
  const scope = selected ? withDependencies(project, selected) : new Set(project.prompts.keys());

  read(CONFIG_FILE, undefined, await project.files.hash(CONFIG_FILE));
  const globs = [...project.config.prompts];
  for (const prompt of scope) {
    const loaded = project.prompts.get(prompt);
    if (!loaded) continue;
    read(prompt, prompt, loaded.inputHashes[prompt]);
    for (const input of loaded.inputs)
      read(input, prompt, loaded.inputHashes[input] ?? (await project.files.hash(input)));
    const fm = loaded.parsed?.frontmatter;
    // Named but unreadable (not there yet): watched, so creating it triggers a build.
    const model = fm && localModelPath(fm.model);
    const named = [...(fm?.context ?? []), ...(model ? [model] : [])];
    for (const entry of named) {
      if (GLOB_CHARS.test(entry)) globs.push(entry);
      else if (!readers.has(entry)) read(entry, prompt, await project.files.hash(entry));
      else readersOf(entry).add(prompt);
    }
    for (const glob of loaded.entry?.contextGlobs ?? []) globs.push(glob);
  }
  const outputs = new Map<string, string | undefined>();
  for (const [prompt, entry] of Object.entries(project.lock.prompts))
    for (const [o, h] of Object.entries(entry.outputs)) outputs.set(o, h);
  for (const loaded of project.prompts.values())
    for (const o of loaded.outputs) if (!outputs.has(o)) outputs.set(o, undefined);
  const uniqueGlobs = [...new Set(globs)];
  return {
    readers,
    hashes,
    globs: uniqueGlobs,
    dirs: baseDirs(uniqueGlobs),
    outputs,
    statuses: await computeStates(project),
  };
}

/** The static folder of each glob (`prompts/**\/*.md` -> `prompts`); `.` for globs at the root. */
export function baseDirs(globs: string[]): string[] {
  const dirs = new Set<string>();
  for (const glob of globs) for (const task of fg.generateTasks([glob])) dirs.add(task.base);
  return [...dirs].sort();
}

/** Whether a new file is one the project would read: it matches a prompt glob or a context glob. */
export async function matchesGlobs(root: string, file: string, globs: string[]): Promise<boolean> {
  const candidates = globs.filter((g) =>
    fg.generateTasks([g]).some((t) => t.base === "." || file.startsWith(`${t.base}/`)),
  );
  if (candidates.length === 0) return false;
  const matches = await fg(candidates, { cwd: root, onlyFiles: true, ignore: IGNORED });
  return matches.includes(file);
}
