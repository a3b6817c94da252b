import { existsSync } from "node:fs";
import path from "node:path";
import { CONFIG_FILE, DEFAULT_CONFIG, loadConfig, type ProjectConfig } from "../util/config.js";
import { discoverPrompts } from "../prompt/discover.js";
import { PcError } from "../util/errors.js";
import { readLock } from "../lock/lock-io.js";
import { LOCK_FILE } from "../lock/lockfile.js";
import { loadProject } from "../plan/project.js";
import { BUILDABLE, computeStates } from "../plan/states.js";
import { parsePrompt } from "../prompt/frontmatter.js";
import { readIfExists } from "../util/fs.js";
import type { Finding, ModelUse } from "./doctor-types.js";
import { count, verb } from "../util/plural.js";

export interface ProjectCheck {
  findings: Finding[];
  config: ProjectConfig;
  /** model ref -> the prompts that pin it. */
  models: Map<string, ModelUse>;
}

/** Config, lock, prompts (invalid ones are errors) and orphaned lock entries; collects the pinned models. */
export async function checkProject(root: string): Promise<ProjectCheck> {
  const findings: Finding[] = [];
  const models = new Map<string, ModelUse>();
  const use: Use = (model, prompt, needed) => {
    const entry = models.get(model) ?? { prompts: [], needed: false };
    entry.prompts.push(prompt);
    entry.needed ||= needed;
    models.set(model, entry);
  };

  let config = DEFAULT_CONFIG;
  const configOk = await attempt(findings, "config", async () => {
    config = await loadConfig(root);
    return existsSync(path.join(root, CONFIG_FILE)) ? `${CONFIG_FILE} is valid` : `no ${CONFIG_FILE}: defaults apply`;
  });
  const lockOk = await attempt(findings, "lock", async () => {
    const { lock, text } = await readLock(root);
    if (text === undefined) return `no ${LOCK_FILE} yet: the first build writes it`;
    return `${LOCK_FILE} is valid (${count(Object.keys(lock.prompts).length, "prompt")} recorded)`;
  });

  await attempt(findings, "prompts", () =>
    // Without a valid config or lock there are no states: each prompt's frontmatter gives its model.
    configOk && lockOk ? checkStates(root, findings, use) : checkPromptFiles(root, config, findings, use),
  );
  return { findings, config, models };
}

/** Notes that a prompt pins a model (`needed`: a build would run it). */
type Use = (model: string, prompt: string, needed: boolean) => void;

/** Every prompt's state: invalid prompts are errors, orphaned entries warnings; the others' models are noted. */
async function checkStates(root: string, findings: Finding[], use: Use): Promise<string | undefined> {
  const project = await loadProject(root);
  const statuses = await computeStates(project);
  for (const s of statuses) {
    if (s.state === "invalid") {
      findings.push({
        level: "error",
        check: "prompt",
        subject: s.prompt,
        what: `${s.error?.where ?? s.prompt}: ${s.error?.message}`,
        fix: s.error?.hint,
      });
    } else if (s.state === "orphaned") {
      const left = s.outputs.filter((o) => existsSync(path.join(root, o)));
      findings.push({
        level: "warn",
        check: "orphan",
        subject: s.prompt,
        what: `${s.prompt} is gone, but its lock entry remains${left.length ? ` and so do its outputs ${left.join(", ")}` : ""}`,
        fix: `\`pc build\` drops its entry from ${LOCK_FILE}${left.length ? ` (delete ${left.join(", ")} if no longer wanted)` : ""}; or restore ${s.prompt}.`,
      });
    } else {
      const loaded = project.prompts.get(s.prompt);
      const model = loaded?.parsed?.frontmatter.model ?? loaded?.entry?.model;
      if (model) use(model, s.prompt, BUILDABLE.has(s.state));
    }
  }
  const invalid = statuses.filter((s) => s.state === "invalid").length;
  const prompts = statuses.filter((s) => s.state !== "orphaned").length;
  return invalid === 0
    ? `${count(prompts, "prompt")} ${verb(prompts, "parses and renders", "parse and render")}`
    : undefined;
}

/** Each prompt file's frontmatter (invalid ones are errors), for its model. */
async function checkPromptFiles(
  root: string,
  config: ProjectConfig,
  findings: Finding[],
  use: Use,
): Promise<string | undefined> {
  const { prompts } = await discoverPrompts(root, config);
  for (const prompt of prompts) {
    try {
      const bytes = await readIfExists(path.join(root, prompt));
      if (!bytes)
        throw new PcError("PC_PROMPT_NOT_FOUND", "the prompt file disappeared while it was read", { file: prompt });
      use(parsePrompt(prompt, bytes.toString("utf8")).frontmatter.model, prompt, true);
    } catch (error) {
      if (!(error instanceof PcError)) throw error;
      findings.push({
        level: "error",
        check: "prompt",
        subject: prompt,
        what: `${error.where ?? prompt}: ${error.message}`,
        fix: error.hint,
      });
    }
  }
  return undefined;
}

/** Runs a check: its message is an ok finding, a PcError an error finding. Returns whether it passed. */
async function attempt(findings: Finding[], check: string, run: () => Promise<string | undefined>): Promise<boolean> {
  try {
    const ok = await run();
    if (ok) findings.push({ level: "ok", check, what: ok });
    return true;
  } catch (error) {
    if (!(error instanceof PcError)) throw error;
    findings.push({
      level: "error",
      check,
      subject: error.file,
      what: error.where ? `${error.where}: ${error.message}` : error.message,
      fix: error.hint,
    });
    return false;
  }
}
