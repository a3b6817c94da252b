/**
 * How an error reaches the user: a PcError as its message (what, where, how to fix it) and code,
 * anything else as an internal error with its stack. With --json (or --format json) the error is
 * also one JSON document on stdout, `{"error":{"code","message","hint",...}}`, so a script reading
 * stdout never gets text, or nothing, where it expected JSON.
 */
import { PcError, type PcErrorCode } from "../util/errors.js";
import type { CliIo } from "./io.js";
import { UsageError } from "./usage.js";

/** Errors of the command line or the project's set-up (exit 2), rather than of the work (exit 1). */
const CONFIG_ERRORS: ReadonlySet<PcErrorCode> = new Set([
  "PC_USAGE",
  "PC_CONFIG_INVALID",
  "PC_NOT_A_PROJECT",
  "PC_LOCK_INVALID",
  "PC_LOCK_CONFLICT",
  "PC_LOCK_VERSION",
  "PC_PROMPT_NOT_FOUND",
]);

/** Whether the command line asks for machine-readable output. */
export function wantsJson(argv: readonly string[]): boolean {
  return argv.some(
    (arg, i) =>
      arg === "--json" ||
      arg === "--json=true" ||
      arg === "--format=json" ||
      (arg === "--format" && argv[i + 1] === "json"),
  );
}

/** Prints the error and returns its exit code. */
export function reportError(io: CliIo, error: unknown, json: boolean): number {
  if (error instanceof PcError) {
    if (json) io.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
    io.stderr.write(`pc: ${error.format()}\n  (${error.code})\n`);
    if (error instanceof UsageError && !json) io.stderr.write(`\n${error.help}\n`);
    return CONFIG_ERRORS.has(error.code) ? 2 : 1;
  }
  const message = (error as Error)?.message ?? String(error);
  if (json)
    io.stdout.write(
      `${JSON.stringify({ error: { code: "PC_INTERNAL", message, hint: "This is a bug in pc: please report it with the stack printed on stderr." } })}\n`,
    );
  io.stderr.write(
    `pc: internal error, please report it with the stack below\n${(error as Error)?.stack ?? String(error)}\n`,
  );
  return 1;
}
