import { rmSync } from "node:fs";
import { pendingTempFiles } from "../util/fs.js";
import type { CliIo } from "./io.js";

/**
 * `pc log | head`: when the reader of stdout (or stderr) goes away, pc stops quietly instead of
 * dying on EPIPE with a stack. It exits with the code the command set (0 when it had not finished:
 * the reader has what it wanted) and removes the temp files of writes in progress. A command that
 * records outputs (build, watch, diff) takes the closed pipe over with `onClosedPipe`, so the exit
 * waits for the outputs being recorded, as a second Ctrl-C does. Installed once by src/cli.ts.
 */
export function exitQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (!isClosedPipe(error)) throw error;
      if (stream.listenerCount("error") > 1) return; // taken over by the command (onClosedPipe)
      removePendingTempFiles();
      process.exit(typeof process.exitCode === "number" ? process.exitCode : 0);
    });
  }
}

/** Calls `closed` (once) when the run's stdout or stderr is closed by its reader; returns how to stop listening. */
export function onClosedPipe(io: CliIo, closed: () => void): () => void {
  let called = false;
  const listener = (error: NodeJS.ErrnoException) => {
    if (!isClosedPipe(error) || called) return;
    called = true;
    closed();
  };
  io.stdout.on("error", listener);
  io.stderr.on("error", listener);
  return () => {
    io.stdout.off("error", listener);
    io.stderr.off("error", listener);
  };
}

/** Removes the temp files of writes in progress, then ends the process (when the run may end it). */
export function exitNow(io: CliIo, code: number): void {
  removePendingTempFiles();
  io.exit?.(code);
}

function removePendingTempFiles(): void {
  for (const temp of pendingTempFiles()) rmSync(temp, { force: true });
}

function isClosedPipe(error: NodeJS.ErrnoException): boolean {
  return error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED";
}
