/**
 * One run of the `pc` command line: parses the arguments (cac), runs the command they name and
 * returns its exit code (0 success, 1 failed work or differences, 2 usage or configuration error).
 * It never ends the process, changes directory or sets the exit code: `src/cli.ts` does, for the
 * real process; tests call it in process with their own folder, environment and streams.
 */
import { readFileSync } from "node:fs";
import { PcError } from "../util/errors.js";
import type { CliIo } from "./io.js";
import { definePc } from "./program.js";
import { redactPrintedSecrets } from "./redacting-output.js";
import { reportError, wantsJson } from "./report-error.js";
import { checkFlags, helpText, unknownCommand, withHelp } from "./usage.js";

const PACKAGE = new URL("../../package.json", import.meta.url);

/** Runs `pc <args>` and returns the exit code. */
export async function runCli(args: string[], io: CliIo): Promise<number> {
  redactPrintedSecrets(args, io);
  const json = wantsJson(args);
  const version = (JSON.parse(readFileSync(PACKAGE, "utf8")) as { version: string }).version;
  const cli = definePc({ io, args }, version);
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
