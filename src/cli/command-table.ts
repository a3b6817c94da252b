/**
 * pc's commands as a table: each one's arguments, help, the flags it takes (each written once, in
 * flags.ts), examples, the checks between its flags, and what it runs. The order is the order of
 * `pc --help`. Each command's terminal front is imported when it runs, so `pc --help` loads none.
 */
import type { CAC } from "cac";
import { PcError } from "../util/errors.js";
import { choicesOf } from "./choices.js";
import { ENGINE_FLAGS, type FlagTypes, type FlagUse, type NameOf } from "./flags.js";
import type { CliIo } from "./io.js";
import type { ProjectPlace } from "./project-root.js";

/** What a command's `run` is given. */
export interface Invocation<Flags> {
  io: CliIo;
  /** Its flags, parsed and checked (see normalizeFlags). */
  flags: Flags;
  /** The arguments after `pc`, as given. */
  args: readonly string[];
  /** The project pc was started in, found on first use (outside one: PC_NOT_A_PROJECT). */
  project(): ProjectPlace;
  /** The command line's definitions, which shell completion reads. */
  cli: CAC;
}

export interface CommandSpec<U extends FlagUse, Positional extends unknown[]> {
  /** As cac takes it: "build [...paths]", "accept <prompt> [answer]". */
  usage: string;
  help: string;
  flags: readonly U[];
  examples?: readonly string[];
  /** Checks between flags, after each was parsed on its own. */
  check?: (flags: Pick<FlagTypes, NameOf<U>>) => void;
  /** The exit code of any error, for a command whose 1 means something else (pc diff). */
  trouble?: number;
  run(invocation: Invocation<Pick<FlagTypes, NameOf<U>>>, ...positional: Positional): Promise<number>;
}

/** A row of the table, its flags' types erased. */
export type Command = CommandSpec<FlagUse, never[]>;

function command<const U extends FlagUse, Positional extends unknown[]>(spec: CommandSpec<U, Positional>): Command {
  return spec as unknown as Command;
}

/** The project's root as the command's cwd, and the paths given as paths from it. */
function selection(place: ProjectPlace, given: string[]): { cwd: string; paths: string[] } {
  return { cwd: place.root, paths: given.map(place.fromStart) };
}

/** The project's root as the command's cwd, and the prompt given as a path from it. */
function onePrompt(place: ProjectPlace, given: string): { cwd: string; prompt: string } {
  return { cwd: place.root, prompt: place.fromStart(given) };
}

export const COMMANDS: readonly Command[] = [
  command({
    usage: "init",
    help: "Create prompts/, generated/, an example prompt and an empty lock",
    flags: [],
    run: async ({ io }) => (await import("./init-command.js")).initCommand(io, { cwd: io.cwd }),
  }),
  command({
    usage: "status [...paths]",
    help: "Show each prompt's state: fresh, stale (and why), new, missing, drifted, orphaned, failed",
    flags: ["json"],
    examples: ["pc status prompts/api --json"],
    run: async ({ io, flags, project }, given: string[]) =>
      (await import("./status-command.js")).statusCommand(io, { ...selection(project(), given), ...flags }),
  }),
  command({
    usage: "check [...paths]",
    help: "Exit 0 only when every prompt is fresh (the CI gate)",
    flags: ["json", "run"],
    run: async ({ io, flags, project }, given: string[]) =>
      (await import("./status-command.js")).checkCommand(io, { ...selection(project(), given), ...flags }),
  }),
  command({
    usage: "render <prompt>",
    help: "Print the complete prompt exactly as the model receives it",
    flags: ["renderFormat", "copy"],
    examples: ["pc render prompts/fib.md --copy"],
    run: async ({ io, flags, project }, prompt: string) =>
      (await import("./render-command.js")).renderCommand(io, {
        ...onePrompt(project(), prompt),
        format: flags.renderFormat,
        copy: flags.copy,
      }),
  }),
  command({
    usage: "accept <prompt> [answer]",
    help: "Record a chat UI's answer (a file, - for stdin, or --paste) as the prompt's output; with no answer, adopt the output on disk as kept by hand",
    flags: ["label", "paste", ["force", "Overwrite an output that was edited by hand"]],
    examples: [
      'pc accept prompts/fib.md answer.md --model "chatgpt web"',
      "pc accept prompts/fib.md   # keep the hand edit of its output",
    ],
    run: async ({ io, flags, args, project }, prompt: string, given: string | undefined) => {
      // cac's parser drops a lone "-" (it reads it as a nameless option), so look for it in the arguments.
      const answer = given ?? (args.includes("-") ? "-" : undefined);
      checkAnswer(answer, flags);
      const place = project();
      const answerFile = answer === undefined || answer === "-" ? answer : place.fromStart(answer);
      return (await import("./accept-command.js")).acceptCommand(io, {
        ...onePrompt(place, prompt),
        ...flags,
        answerFile,
      });
    },
  }),
  command({
    usage: "graph [...paths]",
    help: "Show prompts, the files they read and write, and their dependencies, coloured by state",
    flags: ["graphFormat"],
    examples: ["pc graph > graph.mmd", "pc graph --format dot | dot -Tsvg > graph.svg"],
    run: async ({ io, flags, project }, given: string[]) =>
      (await import("./graph-command.js")).graphCommand(io, {
        ...selection(project(), given),
        format: flags.graphFormat,
      }),
  }),
  command({
    usage: "doctor",
    help: "Check what a build needs: the server or embedded engine for each pinned model, the lock, the prompts",
    flags: ["json", "baseUrl"],
    examples: ["pc doctor --base-url http://127.0.0.1:11434/v1"],
    run: async ({ io, flags, project }) =>
      (await import("./doctor-command.js")).doctorCommand(io, { cwd: project().root, ...flags }),
  }),
  command({
    usage: "lock",
    help: "Check promptfile.lock against the outputs on disk; --repair fixes it without any model call",
    flags: ["repair", "json"],
    examples: ["pc lock --repair"],
    run: async ({ io, flags, project }) =>
      (await import("./lock-command.js")).lockCommand(io, { cwd: project().root, ...flags }),
  }),
  command({
    usage: "build [...paths]",
    help: "Regenerate new, stale and missing prompts (and only those) from the model",
    flags: ["jobs", "force", "dryRun", "json", ...ENGINE_FLAGS, "cache", "offline", "keepFailed", "metrics"],
    examples: ["pc build", "pc build prompts/api -j 2 --base-url http://127.0.0.1:11434/v1"],
    check: (flags) => {
      if (flags.metrics !== undefined && flags.dryRun) {
        throw new PcError("PC_USAGE", "--metrics records a build; a --dry-run makes none", {
          hint: "Drop --dry-run, or --metrics.",
        });
      }
      checkCache(flags);
    },
    run: async ({ io, flags, project }, given: string[]) => {
      const place = project();
      const metrics = flags.metrics === undefined ? undefined : place.fromStart(flags.metrics);
      return (await import("./build-command.js")).buildCommand(io, { ...selection(place, given), ...flags, metrics });
    },
  }),
  command({
    usage: "completion [shell]",
    help: "Print the shell completion script for bash or zsh (commands, flags, prompt paths)",
    flags: ["listPrompts"],
    examples: ["source <(pc completion bash)", 'eval "$(pc completion zsh)"'],
    run: async ({ io, flags, cli }, shell: string | undefined) => {
      const shells = choicesOf("completion <shell>");
      if (!flags.listPrompts && !shells.includes(String(shell))) {
        const message = shell
          ? `pc completion knows ${shells.join(" and ")}, not "${shell}"`
          : "pc completion needs a shell: bash or zsh";
        throw new PcError("PC_USAGE", message, { hint: "e.g. source <(pc completion bash)" });
      }
      const { completionSpec } = await import("./completion-spec.js");
      return (await import("./completion-command.js")).completionCommand(io, {
        shell,
        ...flags,
        spec: completionSpec(cli),
      });
    },
  }),
  command({
    usage: "verify [...paths]",
    help: "Regenerate prompts without the cache, writing nothing, and check the lock's bytes are reproduced",
    flags: [["json", "Print a machine-readable report (with full diffs)"], "baseUrl", "timeout", "threads"],
    examples: ["pc verify", "pc verify prompts/api.md --json"],
    run: async ({ io, flags, project }, given: string[]) =>
      (await import("./verify-command.js")).verifyCommand(io, { ...selection(project(), given), ...flags }),
  }),
  command({
    usage: "seed <prompt>",
    help: "Try seeds until a generation passes the prompt's checks; --pin writes the first that passes",
    flags: [
      "tries",
      "from",
      "pin",
      ["jobs", "Seeds generated concurrently on a server (default 1)"],
      "json",
      ...ENGINE_FLAGS,
    ],
    examples: ["pc seed prompts/fib.md --try 20 --pin"],
    run: async ({ io, flags, project }, prompt: string) =>
      (await import("./seed-command.js")).seedCommand(io, { ...onePrompt(project(), prompt), ...flags }),
  }),
  command({
    usage: "watch [...paths]",
    help: "Rebuild on every save of a prompt, partial, context file or the config",
    flags: [
      ["json", "Print NDJSON events (ready, change, start, progress, done, failed, cancelled, idle)"],
      ["jobs", "Prompts generated concurrently (default 1)"],
      ...ENGINE_FLAGS,
      "cache",
      "offline",
      "keepFailed",
    ],
    examples: ["pc watch", "pc watch prompts/api --json"],
    check: checkCache,
    run: async ({ io, flags, project }, given: string[]) =>
      (await import("./watch-command.js")).watchCommand(io, { ...selection(project(), given), ...flags }),
  }),
  command({
    usage: "diff <prompt>",
    help: "Regenerate without writing and show a unified diff against the current output (exit 0 same, 1 different, 2 trouble)",
    flags: ["seed", "temperature", "model", "cached", "against", ...ENGINE_FLAGS],
    examples: ["pc diff prompts/fib.md --seed 7", "pc diff prompts/fib.md --cached"],
    check: (flags) => {
      if (flags.against !== undefined && (flags.against === "" || flags.against.startsWith("-"))) {
        throw new PcError("PC_USAGE", "--against needs a generation id from `pc log <prompt>`");
      }
    },
    trouble: 2,
    run: async ({ io, flags, project }, prompt: string) =>
      (await import("./diff-command.js")).diffCommand(io, { ...onePrompt(project(), prompt), ...flags }),
  }),
  command({
    usage: "log <prompt>",
    help: "List a prompt's generations in the cache: id, when, model, seed, temperature, source, tokens, outputs",
    flags: [["json", "Print a machine-readable list"]],
    examples: ["pc log prompts/fib.md"],
    run: async ({ io, flags, project }, prompt: string) =>
      (await import("./log-command.js")).logCommand(io, { ...onePrompt(project(), prompt), ...flags }),
  }),
  command({
    usage: "gc",
    help: "Prune the generation cache; never removes what the lock references",
    flags: ["keep", ["dryRun", "Report what would be removed; remove nothing"], "json"],
    examples: ["pc gc --keep 2"],
    run: async ({ io, flags, project }) =>
      (await import("./gc-command.js")).gcCommand(io, { cwd: project().root, ...flags }),
  }),
  command({
    usage: "ui",
    help: "Serve the workbench in a browser: prompts and states live, builds, chat round trips, diffs, the graph",
    flags: ["port", "host", "open", "baseUrl"],
    examples: ["pc ui --no-open"],
    run: async ({ io, flags, project }) =>
      (await import("./ui-command.js")).uiCommand(io, { cwd: project().root, ...flags }),
  }),
];

/** --offline restores from the cache, so it cannot be combined with --no-cache. */
function checkCache(flags: Pick<FlagTypes, "cache" | "offline">): void {
  if (flags.offline && flags.cache === false) {
    throw new PcError("PC_USAGE", "--offline restores from the cache: it cannot be combined with --no-cache", {
      hint: "Use --offline to build without a model, or --no-cache to regenerate everything from the model.",
    });
  }
}

/** An answer comes from a file, stdin or the clipboard, and --model labels one. */
function checkAnswer(answer: string | undefined, flags: Pick<FlagTypes, "label" | "paste">): void {
  if (flags.paste && answer !== undefined)
    throw new PcError("PC_USAGE", `give the answer as a file ("${answer}") or with --paste, not both`);
  if (flags.label !== undefined && !flags.paste && answer === undefined) {
    throw new PcError("PC_USAGE", "--model labels a chat answer, and no answer was given", {
      hint: "Pass the answer (a file, - for stdin, or --paste). Without one, pc accept adopts the output on disk as kept by hand.",
    });
  }
}
