/**
 * What one run of the command line works with: the folder it was started in, its environment and
 * its streams. `src/cli.ts` hands in the real process; tests hand in their own (see runCli). The
 * commands print, read stdin and look at the environment only through it; what belongs to the
 * process itself (Ctrl-C, a closed pipe after the run, the exit code) stays with src/cli.ts and
 * cli/interrupt.ts.
 */
import type { Readable, Writable } from "node:stream";

/** An output stream; isTTY and columns as a terminal's stream has them. */
export type OutputStream = Writable & { isTTY?: boolean; columns?: number };

export interface CliIo {
  /** The folder pc was started in (the project root or one of its subfolders). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdin: Readable & { isTTY?: boolean };
  stdout: OutputStream;
  stderr: OutputStream;
  /**
   * Ends the process at once: a second Ctrl-C, a closed pipe, an interrupted command that something
   * abandoned would hold open. Without it (in process), those end the command, not the process.
   */
  exit?: (code: number) => void;
}

/** The real process: what `pc` runs with. */
export function processIo(): CliIo {
  return {
    cwd: process.cwd(),
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    exit: (code) => process.exit(code),
  };
}
