import type { CAC } from "cac";
import { CHOICES } from "./choices.js";
import { FLAGS, type Flag } from "./flags.js";

/** What shell completion knows about the command line, read from the cac definitions so it never drifts. */
export interface CompletionSpec {
  commands: CommandSpec[];
}

export interface CommandSpec {
  name: string;
  description: string;
  flags: FlagSpec[];
  /** What the positional arguments are: prompt files, prompts or folders, one of some words, or nothing. */
  args: { kind: "prompt" | "paths" | "none" } | { kind: "choices"; choices: string[] };
}

export interface FlagSpec {
  /** As typed: ["-j", "--jobs"]. */
  names: string[];
  description: string;
  /** The flag takes a value: its name in the help, and what to offer for it. */
  value?: { name: string; choices?: string[]; files?: boolean };
}

/** Flags whose value is a file path (as typed: "--metrics"). */
const FILE_VALUES = new Set(
  Object.values(FLAGS as Record<string, Flag>)
    .filter((flag) => flag.kind.type === "file")
    .map((flag) => flag.syntax.split(" ")[0]),
);

export function completionSpec(cli: CAC): CompletionSpec {
  const global = cli.globalCommand.options;
  const commands = cli.commands
    .filter((c) => c.name !== "")
    .map((c): CommandSpec => {
      const arg = c.args[0];
      const choices = arg ? CHOICES[`${c.name} <${arg.value}>`] : undefined;
      return {
        name: c.name,
        description: c.description,
        flags: [...c.options, ...global].map((o) => flagSpec(c.name, o.rawName, o.description)),
        args: choices
          ? { kind: "choices", choices: [...choices] }
          : { kind: !arg ? "none" : arg.variadic ? "paths" : "prompt" },
      };
    });
  return { commands };
}

function flagSpec(command: string, rawName: string, description: string): FlagSpec {
  const names = rawName.split(/[ ,]+/).filter((part) => part.startsWith("-"));
  const value = /[<[]([^>\]]+)[>\]]/.exec(rawName)?.[1];
  const long = names[names.length - 1];
  const choices = CHOICES[`${command} ${long}`];
  return {
    names,
    description,
    value: value
      ? { name: value, choices: choices ? [...choices] : undefined, files: FILE_VALUES.has(long) }
      : undefined,
  };
}
