/**
 * A command that awaits something nothing will ever settle, with nothing else pending, would let
 * Node end the process in the middle of the command with exit 0 and no report, as if it had
 * succeeded. While a command runs, pc watches for that moment (the event loop running dry) and
 * ends with an internal error and exit 1 instead. Installed by src/cli.ts, for the real process.
 */
import type { CliIo } from "./io.js";
import { reportError, wantsJson } from "./report-error.js";

/** Starts watching; call the returned function once the command has settled. */
export function failIfUnsettledAtExit(io: CliIo, args: string[]): () => void {
  const onBeforeExit = () => {
    process.off("beforeExit", onBeforeExit);
    const error = new Error(
      "the command stopped before it finished: it was waiting for something that can no longer happen",
    );
    process.exitCode = reportError(io, error, wantsJson(args));
  };
  process.on("beforeExit", onBeforeExit);
  return () => process.off("beforeExit", onBeforeExit);
}
