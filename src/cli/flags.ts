/**
 * Every flag of `pc`, written once: its syntax, its help, what its value is and the range it may
 * take. A command lists the flags it takes (src/cli/command-table.ts); `normalizeFlags` turns what
 * cac parsed into typed options in one step (every number is parsed here and nowhere else), typed
 * as the library's own options (`BuildOptions`, `DiffOptions`, ...) plus the few only the terminal
 * has (`--json`, `--copy`, ...).
 *
 * Only types are imported from the commands: `pc --help` loads none of them.
 */
import type { BuildOptions } from "../commands/build.js";
import type { DiffOptions } from "../commands/diff.js";
import type { GcOptions } from "../commands/gc.js";
import type { GraphFormat } from "../commands/graph-format.js";
import type { SeedOptions } from "../commands/seed.js";
import type { UiOptions } from "../ui/server.js";
import { PcError } from "../util/errors.js";
import { choicesOf } from "./choices.js";

/** What a flag's value is, and the range it may take. */
export type FlagKind =
  /** A switch (`--force`), or its negation (`--no-cache` gives cache: false). */
  | { type: "boolean" }
  /** Text; `trimmed`: spaces around it dropped, and none at all refused (`example` shows one). */
  | { type: "string"; trimmed?: { what: string; example: string } }
  /** Exactly as typed: cac turns numeric-looking values into numbers ("0123" -> 123). */
  | { type: "verbatim" }
  /** A whole number >= min. */
  | { type: "integer"; min: number }
  /** A whole number of either sign (a seed). */
  | { type: "whole" }
  | { type: "number" }
  /** One of the values listed in cli/choices.ts under `key`. */
  | { type: "choice"; key: string }
  /** A file name ending in `extension`, which `reader` needs; `example` shows a good one. */
  | { type: "file"; extension: string; writes: string; reader: string; example: string };

export interface Flag {
  /** As cac takes it: "-j, --jobs <n>", "--no-cache". */
  syntax: string;
  help: string;
  kind: FlagKind;
}

const BOOLEAN = { type: "boolean" } as const;
const STRING = { type: "string" } as const;
const atLeast = (min: number) => ({ type: "integer", min }) as const;

/** Every flag, by the name of its typed option (cac's camelCase name; `--no-cache` is `cache`). */
export const FLAGS = {
  json: { syntax: "--json", help: "Print a machine-readable report", kind: BOOLEAN },
  force: { syntax: "--force", help: "Regenerate even fresh prompts and overwrite hand-edited outputs", kind: BOOLEAN },
  dryRun: { syntax: "--dry-run", help: "Print the plan with each prompt's reason; make no request", kind: BOOLEAN },
  jobs: {
    syntax: "-j, --jobs <n>",
    help: "Prompts generated concurrently (default 1: parallel slots break determinism)",
    kind: atLeast(1),
  },
  baseUrl: {
    syntax: "--base-url <url>",
    help: "OpenAI-compatible server (default: PC_BASE_URL, pc.config.json, http://127.0.0.1:8080/v1)",
    kind: STRING,
  },
  timeout: {
    syntax: "--timeout <seconds>",
    help: "Abandon a request after this many seconds without data (default 120)",
    kind: atLeast(1),
  },
  retries: { syntax: "--retries <n>", help: "Retries of a transient engine error (default 3)", kind: atLeast(0) },
  threads: {
    syntax: "--threads <n>",
    help: "Threads of the embedded engine (the output does not depend on it)",
    kind: atLeast(1),
  },
  cache: { syntax: "--no-cache", help: "Do not restore earlier generations from the cache", kind: BOOLEAN },
  offline: {
    syntax: "--offline",
    help: "Restore from the cache only; fail prompts that need the model",
    kind: BOOLEAN,
  },
  keepFailed: {
    syntax: "--keep-failed",
    help: "Write outputs whose checks fail anyway (recorded as failed)",
    kind: BOOLEAN,
  },
  metrics: {
    syntax: "--metrics <file>",
    help: "Write Prometheus metrics of the build to <file> (node_exporter textfile format)",
    kind: {
      type: "file",
      extension: ".prom",
      writes: "a Prometheus textfile",
      reader: "node_exporter's textfile collector",
      example: "pc build --metrics /var/lib/node_exporter/textfile/pc.prom",
    },
  },
  run: {
    syntax: "--run",
    help: "Also run the checks of fresh prompts on the outputs on disk (no model)",
    kind: BOOLEAN,
  },
  renderFormat: {
    syntax: "--format <format>",
    help: "markdown (default), text, or json (the messages as sent to a server)",
    kind: { type: "choice", key: "render --format" },
  },
  graphFormat: {
    syntax: "--format <format>",
    help: "mermaid (default, renders on GitHub), dot (Graphviz), or json",
    kind: { type: "choice", key: "graph --format" },
  },
  copy: {
    syntax: "--copy",
    help: "Put it on the clipboard (OSC 52 to the terminal where there is none, e.g. over SSH)",
    kind: BOOLEAN,
  },
  label: {
    syntax: "--model <label>",
    help: 'What wrote the answer, recorded in the lock (e.g. "chatgpt web")',
    kind: { type: "string", trimmed: { what: "a label", example: '--model "chatgpt web"' } },
  },
  paste: { syntax: "--paste", help: "Read the answer from the clipboard", kind: BOOLEAN },
  repair: {
    syntax: "--repair",
    help: "Rehash outputs and mark mismatches stale; rebuild an unreadable lock from what can be recovered (the old file is kept as promptfile.lock.bak)",
    kind: BOOLEAN,
  },
  listPrompts: {
    syntax: "--list-prompts",
    help: "List the project's prompt files (the completion scripts use it)",
    kind: BOOLEAN,
  },
  tries: { syntax: "--try <n>", help: "How many seeds to try (default 10)", kind: atLeast(1) },
  from: { syntax: "--from <seed>", help: "The first seed tried (default 1)", kind: { type: "whole" } },
  pin: {
    syntax: "--pin",
    help: "Write the first passing seed into the prompt and build it (from the cache: no model call)",
    kind: BOOLEAN,
  },
  seed: { syntax: "--seed <n>", help: "Regenerate with this seed instead of the prompt's", kind: { type: "whole" } },
  temperature: { syntax: "--temperature <t>", help: "Regenerate with this temperature", kind: { type: "number" } },
  model: { syntax: "--model <name>", help: "Regenerate with this model", kind: STRING },
  cached: {
    syntax: "--cached",
    help: "Compare the two newest generations in the cache; no model call",
    kind: BOOLEAN,
  },
  against: {
    syntax: "--against <id>",
    help: "Compare a generation from `pc log` with the current output; no model call",
    kind: { type: "verbatim" },
  },
  keep: {
    syntax: "--keep <n>",
    help: "Generations kept per prompt besides those the lock references (default 5)",
    kind: atLeast(0),
  },
  port: { syntax: "--port <n>", help: "Port (default 0: any free port)", kind: atLeast(0) },
  host: {
    syntax: "--host <host>",
    help: "Interface to listen on (default 127.0.0.1; any other is reachable from elsewhere)",
    kind: STRING,
  },
  open: { syntax: "--no-open", help: "Print the URL; do not open a browser", kind: BOOLEAN },
} as const satisfies Record<string, Flag>;

export type FlagName = keyof typeof FLAGS;

/** The engine flags of the commands that generate. */
export const ENGINE_FLAGS = ["baseUrl", "timeout", "retries", "threads"] as const satisfies readonly FlagName[];

/** The typed value of every flag: the library's own option where a flag is one, else the terminal's. */
export interface FlagTypes
  extends
    Pick<
      BuildOptions,
      "force" | "dryRun" | "jobs" | "baseUrl" | "timeout" | "retries" | "threads" | "cache" | "offline" | "keepFailed"
    >,
    Pick<DiffOptions, "seed" | "temperature" | "model" | "cached" | "against">,
    Pick<SeedOptions, "tries" | "from" | "pin">,
    Pick<GcOptions, "keep">,
    Pick<UiOptions, "port" | "host"> {
  json?: boolean;
  /** As typed on the command line (relative to where pc was started). */
  metrics?: string;
  run?: boolean;
  renderFormat?: string;
  graphFormat?: GraphFormat;
  copy?: boolean;
  /** `pc accept --model`: the label of what wrote the answer. */
  label?: string;
  paste?: boolean;
  repair?: boolean;
  listPrompts?: boolean;
  open?: boolean;
}

/** A flag a command takes, with its own help where the shared one does not fit. */
export type FlagUse = FlagName | readonly [FlagName, string];

/** The name of a FlagUse. */
export type NameOf<U> = U extends readonly [infer N, string] ? N & FlagName : U & FlagName;

export function flagName(use: FlagUse): FlagName {
  return typeof use === "string" ? use : use[0];
}

export function flagHelp(use: FlagUse): string {
  return typeof use === "string" ? FLAGS[use].help : use[1];
}

/**
 * The one flag-normalising step: cac's values of a command's flags as typed options. `args` are
 * the arguments as given, for the values cac changes on the way (see "verbatim").
 */
export function normalizeFlags<const U extends FlagUse>(
  raw: Record<string, unknown>,
  uses: readonly U[],
  args: readonly string[],
): Pick<FlagTypes, NameOf<U>> {
  const typed: Record<string, unknown> = {};
  for (const use of uses) {
    const name = flagName(use);
    const flag: Flag = FLAGS[name];
    const value = raw[cacKey(flag)];
    if (value !== undefined) typed[name] = readValue(longName(flag), value, flag.kind, args);
  }
  return typed as Pick<FlagTypes, NameOf<U>>;
}

/** cac's name of a flag's value: `--dry-run` -> dryRun, `--no-cache` -> cache, `--format` -> format. */
function cacKey(flag: Flag): string {
  return longName(flag).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** The flag's long name as typed, for messages: "jobs", "base-url" ("cache" for --no-cache). */
function longName(flag: Flag): string {
  return /--(?:no-)?([a-z-]+)/.exec(flag.syntax)?.[1] ?? "";
}

function readValue(flag: string, value: unknown, kind: FlagKind, args: readonly string[]): unknown {
  switch (kind.type) {
    case "boolean":
      return value;
    case "string":
      return kind.trimmed ? trimmed(flag, value, kind.trimmed) : String(value);
    case "verbatim":
      return typedValue(args, flag);
    case "integer":
      return integer(flag, value, kind.min);
    case "whole":
      return wholeNumber(flag, value);
    case "number":
      return number(flag, value);
    case "choice":
      return oneOf(flag, value, choicesOf(kind.key));
    case "file":
      return fileName(flag, value, kind, args);
  }
}

/** A flag's value exactly as typed (the last one given); "" when it is the last argument. */
function typedValue(args: readonly string[], name: string): string | undefined {
  let value: string | undefined;
  args.forEach((arg, i) => {
    if (arg === `--${name}`) value = args[i + 1] ?? "";
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  });
  return value;
}

/** A whole number >= min. */
function integer(flag: string, value: unknown, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new PcError("PC_USAGE", `--${flag} must be a whole number >= ${min}, got "${value}"`);
  return n;
}

/** A whole number of either sign (a seed). */
function wholeNumber(flag: string, value: unknown): number {
  const n = number(flag, value);
  if (!Number.isSafeInteger(n)) throw new PcError("PC_USAGE", `--${flag} must be a whole number, got "${value}"`);
  return n;
}

function number(flag: string, value: unknown): number {
  const n = Number(value);
  if (typeof value === "boolean" || String(value).trim() === "" || !Number.isFinite(n))
    throw new PcError("PC_USAGE", `--${flag} must be a number, got "${value}"`);
  return n;
}

function oneOf(flag: string, value: unknown, allowed: string[]): string {
  if (!allowed.includes(String(value)))
    throw new PcError("PC_USAGE", `--${flag} must be one of ${allowed.join(", ")}, got "${value}"`);
  return String(value);
}

function fileName(flag: string, value: unknown, kind: FlagKind & { type: "file" }, args: readonly string[]): string {
  // cac turns numeric values into numbers, and an empty one into 0.
  if (value === "" || (value === 0 && args.includes(""))) {
    throw new PcError("PC_USAGE", `--${flag} needs a file name`, { hint: `e.g. ${kind.example}` });
  }
  if (!String(value).endsWith(kind.extension)) {
    throw new PcError(
      "PC_USAGE",
      `--${flag} writes ${kind.writes}, whose name ends in ${kind.extension}; got "${value}"`,
      { hint: `${kind.reader} reads only *${kind.extension} files, e.g. ${kind.example}` },
    );
  }
  return String(value);
}

/** Text with the spaces around it dropped; none at all is refused. */
function trimmed(flag: string, value: unknown, { what, example }: { what: string; example: string }): string {
  const text = typeof value === "boolean" ? "" : String(value).trim();
  if (text === "") throw new PcError("PC_USAGE", `--${flag} needs ${what}, e.g. ${example}`);
  return text;
}
