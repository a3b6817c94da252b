/** The library's reports as the server sends them (JSON of src/commands/*). */

export type State = "fresh" | "stale" | "new" | "missing" | "drifted" | "orphaned" | "failed" | "invalid";
export const STATES: State[] = ["fresh", "stale", "new", "missing", "drifted", "failed", "invalid", "orphaned"];

/** What a prompt's checks (its `check` frontmatter key) said of the recorded outputs. */
export interface CheckSummary {
  passed: boolean;
  durationMs: number;
  /** The failing command and the line that says why. */
  failure?: string;
}

export interface PromptStatus {
  prompt: string;
  state: State;
  reasons: string[];
  outputs: string[];
  source?: string;
  label?: string;
  model?: string;
  durationMs?: number;
  dependsOn: string[];
  /** The verdict of the prompt's checks on the recorded outputs (prompts with a `check` key). */
  checks?: CheckSummary;
}

export interface StatusReport {
  prompts: PromptStatus[];
}

export interface LogEntry {
  id: string;
  createdAt: string;
  model: string;
  seed: number;
  temperature: number;
  source: string;
  label?: string;
  usage?: { promptTokens: number; completionTokens: number };
  durationMs?: number;
  onDisk: boolean;
}

export interface DiffSide {
  label: string;
  generation?: string;
  files: Record<string, string | undefined>;
}

export interface Comparison {
  prompt: string;
  old: DiffSide;
  new: DiffSide;
}

export interface PromptPage {
  status: PromptStatus;
  render: { text: string; messages: Array<{ role: string; content: string }> } | { error: { message: string } };
  log: { generations: LogEntry[] } | { error: { message: string } };
}

export interface AcceptResult {
  prompt: string;
  outputs: Record<string, string>;
  written: string[];
  recorded: boolean;
  dependents: string[];
  texts?: Record<string, string>;
}

/** Live progress of one prompt, from build events. */
export interface Progress {
  tokens: number;
  elapsedMs: number;
  done?: string;
}
