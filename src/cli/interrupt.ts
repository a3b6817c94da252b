import { rmSync } from "node:fs";
import { pendingTempFiles } from "../util/fs.js";

/**
 * Ctrl-C (SIGINT) or SIGTERM once: abort in-flight generations and let the command finish its
 * bookkeeping (finished prompts stay in the lock). Twice: remove the temp files of writes in
 * progress and exit at once with 130. Either way no half-written file is left behind, because every
 * write goes to a temp file that is renamed into place.
 */
export function onInterrupt(notice: (message: string) => void): { signal: AbortSignal; dispose: () => void; interrupted: () => boolean } {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      for (const temp of pendingTempFiles()) rmSync(temp, { force: true });
      process.exit(130);
    }
    notice(`${signal === "SIGINT" ? "interrupted" : "terminated"}: stopping the requests in flight; finished prompts are kept (press Ctrl-C again to exit now)`);
    controller.abort(new Error(`received ${signal}`));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return {
    signal: controller.signal,
    interrupted: () => controller.signal.aborted,
    dispose: () => {
      process.off("SIGINT", handler);
      process.off("SIGTERM", handler);
    },
  };
}
