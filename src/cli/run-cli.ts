/**
 * One run of the `pc` command line: parses the arguments (cac), runs the command they name and
 * returns its exit code (0 success, 1 failed work or differences, 2 usage or configuration error).
 * It never ends the process, changes directory or sets the exit code: `src/cli.ts` does, for the
 * real process; tests call it in process with their own folder, environment and streams.
 */
import { cac, type CAC } from "cac";
import { readFileSync } from "node:fs";
import { PcError } from "../util/errors.js";
import { COMMANDS, type Command, type Invocation } from "./command-table.js";
import { FLAGS, flagHelp, flagName, normalizeFlags } from "./flags.js";
import type { CliIo } from "./io.js";
import { locateProject, type ProjectPlace } from "./project-root.js";
import { redactPrintedSecrets } from "./redacting-output.js";
import { reportError, wantsJson } from "./report-error.js";
import { checkFlags, helpText, unknownCommand, withHelp } from "./usage.js";

const PACKAGE = new URL("../../package.json", import.meta.url);

/** Runs `pc <args>` and returns the exit code. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  redactPrintedSecrets(args, io);
  const json = wantsJson(args);
  let place: ProjectPlace | undefined;
  const cli: CAC = defineCommands((command, raw, positional) =>
    runCommand(command, { io, args, cli, project: () => (place ??= locateProject(io.cwd)) }, raw, positional),
  );
  try {
    printingTo(io, () => cli.parse(["node", "pc", ...args], { run: false }));
    if (!cli.matchedCommand && cli.args.length > 0) throw unknownCommand(cli, String(cli.args[0]));
    if (!cli.matchedCommand) {
      if (!cli.options.help && !cli.options.version) io.stdout.write(`${helpText(cli.globalCommand)}\n`);
      return 0;
    }
    checkFlags(cli, cli.matchedCommand, args);
    return (await cli.runMatchedCommand()) as number;
  } catch (error) {
    // cac reports a missing argument (and anything else it refuses) by throwing.
    return reportError(io, error instanceof PcError ? error : withHelp(cli, error as Error), json);
  }
}

type RunCommand = (command: Command, raw: Record<string, unknown>, positional: never[]) => Promise<number>;

/** The command table (command-table.ts) as cac's definitions: usage, help, flags, examples, and `run`. */
function defineCommands(run: RunCommand): CAC {
  const cli = cac("pc");
  for (const command of COMMANDS) {
    const defined = cli.command(command.usage, command.help);
    for (const use of command.flags) defined.option(FLAGS[flagName(use)].syntax, flagHelp(use));
    for (const example of command.examples ?? []) defined.example(example);
    // cac passes the positional arguments, then the flags.
    defined.action((...given: unknown[]) => {
      const raw = given.pop() as Record<string, unknown>;
      return run(command, raw, given as never[]);
    });
  }
  cli.help();
  cli.version((JSON.parse(readFileSync(PACKAGE, "utf8")) as { version: string }).version);
  return cli;
}

/** Normalizes the command's flags, checks them, and runs it; an error is reported here. */
async function runCommand(
  command: Command,
  invocation: Omit<Invocation<unknown>, "flags">,
  raw: Record<string, unknown>,
  positional: never[],
): Promise<number> {
  try {
    const flags = normalizeFlags(raw, command.flags, invocation.args);
    command.check?.(flags);
    return await command.run({ ...invocation, flags }, ...positional);
  } catch (error) {
    const code = reportError(invocation.io, error, wantsJson(invocation.args));
    return command.trouble ?? code;
  }
}

/** cac prints --help and --version with console.info: into the run's stdout here. */
function printingTo(io: CliIo, parse: () => void): void {
  const info = console.info;
  console.info = (...parts: unknown[]) => void io.stdout.write(`${parts.join(" ")}\n`);
  try {
    parse();
  } finally {
    console.info = info;
  }
}
