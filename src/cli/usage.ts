/**
 * Mistyped commands and flags: `pc buidl` and `pc build --forse` get a did-you-mean and the help of
 * the command meant, as a usage error (exit 2). cac alone reports an unknown flag by its camelCased
 * name (`--baseUrl` for `--base-ur`) and with no help, so flags are checked here, against the
 * command's own definitions, before it runs.
 */
import type { CAC, Command } from "cac";
import { PcError } from "../util/errors.js";
import { suggest } from "../util/schema.js";

/** A usage error, with the help of the command it concerns (printed after the message). */
export class UsageError extends PcError {
  constructor(
    message: string,
    readonly help: string,
    hint?: string,
  ) {
    super("PC_USAGE", message, { hint });
  }
}

/** `pc <name>` where no command is called name. */
export function unknownCommand(cli: CAC, name: string): UsageError {
  const names = cli.commands.map((c) => c.name);
  const meant = suggest(name, names);
  const command = cli.commands.find((c) => c.name === meant);
  return new UsageError(
    `unknown command "${name}"${meant ? `: did you mean "pc ${meant}"?` : ""}`,
    helpText(command ?? cli.globalCommand),
    meant ? undefined : "Run pc --help for the list of commands.",
  );
}

/** Throws for the first flag in `argv` (after the command name) that `command` does not take. */
export function checkFlags(cli: CAC, command: Command, argv: string[]): void {
  const options = [...command.options, ...cli.globalCommand.options];
  const known = new Set(options.flatMap((o) => flagsOf(o.rawName, o.negated)));
  const end = argv.indexOf("--");
  for (const arg of end === -1 ? argv : argv.slice(0, end)) {
    if (!arg.startsWith("-") || arg === "-" || /^-\d/.test(arg)) continue;
    const flag = arg.split("=", 1)[0]!;
    if (known.has(flag)) continue;
    const meant = suggest(
      flag,
      [...known].filter((k) => k.startsWith("--")),
    );
    throw new UsageError(
      `unknown option ${flag} for pc ${command.name}${meant ? `: did you mean ${meant}?` : ""}`,
      helpText(command),
    );
  }
}

/** A missing argument, or anything else cac refuses while parsing: the message with the command's help. */
export function withHelp(cli: CAC, error: Error): UsageError {
  return new UsageError(error.message, helpText(cli.matchedCommand ?? cli.globalCommand));
}

/** Every way a flag can be typed: "-j, --jobs <n>" gives -j and --jobs; "--no-cache" also --cache. */
function flagsOf(rawName: string, negated: boolean): string[] {
  const flags = rawName.split(/[ ,]+/).filter((part) => /^--?[a-z]/i.test(part));
  return negated ? [...flags, ...flags.filter((f) => f.startsWith("--no-")).map((f) => `--${f.slice(5)}`)] : flags;
}

/** The help cac prints for a command, as text (cac only writes it to the console). */
export function helpText(command: Command): string {
  const lines: string[] = [];
  const info = console.info;
  console.info = (...parts: unknown[]) => void lines.push(parts.join(" "));
  try {
    command.outputHelp();
  } finally {
    console.info = info;
  }
  return lines.join("\n");
}
