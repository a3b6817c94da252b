export type FindingLevel = "ok" | "warn" | "error";

/** One result of `pc doctor`. */
export interface Finding {
  /** error: a build would fail; warn: a build works but something is off (determinism, leftovers); ok: checked and fine. */
  level: FindingLevel;
  /** Stable id of the check, e.g. `engine.reachable`, `engine.slots`, `embedded.model`, `lock`, `prompt`, `orphan`. */
  check: string;
  /** What was found, in one sentence. */
  what: string;
  /** How to fix it (for warnings and errors). */
  fix?: string;
  /** The prompt, model or server the finding is about. */
  subject?: string;
}

/** How the prompts use one model. */
export interface ModelUse {
  prompts: string[];
  /** A prompt that uses the model would be built now (or the project's states are unknown). */
  needed: boolean;
}

/** A problem with an engine blocks a build only when a prompt that needs building uses it. */
export function engineLevel(use: ModelUse): FindingLevel {
  return use.needed ? "error" : "warn";
}

/** "(used by prompts/a.md and 2 more; they are fresh, so a build does not need it now)" */
export function usedBy(use: ModelUse): string {
  const [first, ...rest] = use.prompts;
  const who = rest.length === 0 ? first : `${first} and ${rest.length} more`;
  return use.needed
    ? `used by ${who}`
    : `used by ${who}; ${rest.length ? "they are" : "it is"} fresh, so a build does not need it now`;
}
