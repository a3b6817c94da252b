#!/usr/bin/env node
/**
 * The `pc` binary: runs the command line (src/cli/run-cli.ts) on the real process, and is the only
 * place that sets the process's exit code.
 */
import { exitQuietlyOnClosedPipe } from "./cli/closed-pipe.js";
import { processIo } from "./cli/io.js";
import { runCli } from "./cli/run-cli.js";
import { failIfUnsettledAtExit } from "./cli/unsettled.js";

exitQuietlyOnClosedPipe();

const io = processIo();
const args = process.argv.slice(2);
const settled = failIfUnsettledAtExit(io, args);
void runCli(args, io)
  .then((code) => {
    process.exitCode = code;
  })
  .finally(settled);
