import { CommitGate } from "../util/commit-gate.js";
import { exitNow, onClosedPipe } from "./closed-pipe.js";
import type { CliIo } from "./io.js";

export interface Interrupt {
  /** Aborted by the first signal. */
  signal: AbortSignal;
  /** The commits an exit asked for by the second signal waits for: hand it to the build. */
  commits: CommitGate;
  interrupted: () => boolean;
  dispose: () => void;
}

/**
 * Ctrl-C (SIGINT) or SIGTERM once: abort in-flight generations and let the command finish its
 * bookkeeping (finished prompts stay in the lock). Twice: exit with 130 at once, or, if a prompt's
 * outputs are being recorded in the lock at that moment, as soon as that is done (milliseconds), so
 * no output is left that the lock does not vouch for. A third time: exit now whatever is under way.
 * Temp files of writes in progress are removed; no half-written file is ever left, because every
 * write goes to a temp file that is renamed into place. A build given `commits` holds its commits
 * on that gate, so the exit can wait for them.
 */
export function onInterrupt(io: CliIo, notice: (message: string) => void): Interrupt {
  const controller = new AbortController();
  const commits = new CommitGate();
  let count = 0;
  const exitInterrupted = () => exitNow(io, 130);
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      notice(
        `${signal === "SIGINT" ? "interrupted" : "terminated"}: stopping the requests in flight; finished prompts are kept (press Ctrl-C again to exit now)`,
      );
      controller.abort(new Error(`received ${signal}`));
    } else if (count === 2) {
      if (commits.inProgress > 0)
        notice("exiting once the outputs being written are recorded in the lock (Ctrl-C again to force)");
      commits.exitAfterCommits(exitInterrupted);
    } else {
      exitInterrupted();
    }
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  // The reader of the output went away (pc build | head): stop as a second Ctrl-C would, quietly.
  const stopListening = onClosedPipe(io, () => {
    controller.abort(new Error("the output was closed"));
    commits.exitAfterCommits(() => exitNow(io, 0));
  });
  return {
    signal: controller.signal,
    commits,
    interrupted: () => controller.signal.aborted,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
      stopListening();
    },
  };
}

/**
 * After an interrupted command has finished its bookkeeping and reported: the process ends even
 * if something it abandoned (a model download still looking its file up) would hold it open.
 */
export function exitOnceIdle(io: CliIo, code: number): void {
  const exit = io.exit;
  if (exit) setTimeout(() => exit(code), 200).unref();
}
