#!/usr/bin/env node
/**
 * The `pc` command line: parses flags, lazy-imports the command, and is the only place that sets
 * the exit code (0 success, 1 failed work or differences, 2 usage or configuration error).
 */
import { cac } from "cac";
import { readFileSync } from "node:fs";
import { PcError, type PcErrorCode } from "./errors.js";

const CONFIG_ERRORS: ReadonlySet<PcErrorCode> = new Set([
  "PC_USAGE", "PC_CONFIG_INVALID", "PC_LOCK_INVALID", "PC_LOCK_CONFLICT", "PC_LOCK_VERSION", "PC_PROMPT_NOT_FOUND",
]);

async function run(command: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await command();
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof PcError) {
    process.stderr.write(`pc: ${error.format()}\n  (${error.code})\n`);
    return CONFIG_ERRORS.has(error.code) ? 2 : 1;
  }
  process.stderr.write(`pc: internal error, please report it with the stack below\n${(error as Error)?.stack ?? String(error)}\n`);
  return 1;
}

function oneOf(flag: string, value: unknown, allowed: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(String(value))) {
    throw new PcError("PC_USAGE", `--${flag} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return String(value);
}

const version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
const cli = cac("pc");

cli.command("init", "Create prompts/, generated/, an example prompt and an empty lock").action(() =>
  run(async () => (await import("./cli/init.js")).initCommand()),
);

cli
  .command("status [...paths]", "Show each prompt's state: fresh, stale (and why), new, missing, drifted, orphaned, failed")
  .option("--json", "Print a machine-readable report")
  .example("pc status prompts/api --json")
  .action((paths: string[], flags) => run(async () => (await import("./cli/status.js")).statusCommand(paths, flags)));

cli
  .command("check [...paths]", "Exit 0 only when every prompt is fresh (the CI gate)")
  .option("--json", "Print a machine-readable report")
  .action((paths: string[], flags) => run(async () => (await import("./cli/status.js")).checkCommand(paths, flags)));

cli
  .command("render <prompt>", "Print the complete prompt exactly as the model receives it")
  .option("--format <format>", "markdown (default), text, or json (the messages as sent to a server)")
  .example("pc render prompts/fib.md | pbcopy")
  .action((prompt: string, flags) =>
    run(async () => {
      oneOf("format", flags.format, ["markdown", "text", "json"]);
      return (await import("./cli/render.js")).renderCommand(prompt, flags);
    }),
  );

cli
  .command("lock", "Check promptfile.lock against the outputs on disk; --repair fixes it without any model call")
  .option("--repair", "Rehash outputs and mark mismatches stale; rebuild an unreadable lock from what can be recovered (the old file is kept as promptfile.lock.bak)")
  .option("--json", "Print a machine-readable report")
  .example("pc lock --repair")
  .action((flags) => run(async () => (await import("./cli/lock.js")).lockCommand(flags)));

/** A whole number >= min from a flag, or undefined when the flag is absent. */
function integer(flag: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new PcError("PC_USAGE", `--${flag} must be a whole number >= ${min}, got "${value}"`);
  return n;
}

cli
  .command("build [...paths]", "Regenerate new, stale and missing prompts (and only those) from the model")
  .option("-j, --jobs <n>", "Prompts generated concurrently (default 1: parallel slots break determinism)")
  .option("--force", "Regenerate even fresh prompts and overwrite hand-edited outputs")
  .option("--dry-run", "Print the plan with each prompt's reason; make no request")
  .option("--json", "Print a machine-readable report")
  .option("--base-url <url>", "OpenAI-compatible server (default: PC_BASE_URL, pc.config.json, http://127.0.0.1:8080/v1)")
  .option("--timeout <seconds>", "Abandon a request after this many seconds without data (default 120)")
  .option("--retries <n>", "Retries of a transient engine error (default 3)")
  .option("--threads <n>", "Threads of the embedded engine")
  .option("--no-cache", "Do not restore earlier generations from the cache")
  .option("--offline", "Restore from the cache only; fail prompts that need the model")
  .example("pc build")
  .example("pc build prompts/api -j 2 --base-url http://127.0.0.1:11434/v1")
  .action((paths: string[], flags) =>
    run(async () =>
      (await import("./cli/build.js")).buildCommand(paths, {
        ...flags,
        jobs: integer("jobs", flags.jobs, 1),
        timeout: integer("timeout", flags.timeout, 1),
        retries: integer("retries", flags.retries, 0),
        threads: integer("threads", flags.threads, 1),
      }),
    ),
  );

cli.help();
cli.version(version);

try {
  cli.parse(process.argv, { run: false });
  if (!cli.matchedCommand && cli.args.length > 0) {
    throw new PcError("PC_USAGE", `unknown command "${cli.args[0]}"`, { hint: "Run pc --help for the list of commands." });
  } else if (!cli.matchedCommand && !cli.options.help && !cli.options.version) {
    cli.outputHelp();
  } else {
    await cli.runMatchedCommand();
  }
} catch (error) {
  // cac reports unknown options and missing arguments by throwing.
  process.exitCode = reportError(error instanceof PcError ? error : new PcError("PC_USAGE", (error as Error).message, { hint: "Run pc --help." }));
}
