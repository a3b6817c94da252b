/**
 * pc's commands as cac knows them: each one's arguments, flags and help, and what it runs. The
 * command modules are imported when their command runs, so `pc --help` loads none of them.
 */
import { cac, type CAC } from "cac";
import { PcError } from "../util/errors.js";
import { choicesOf } from "./choices.js";
import type { CliIo } from "./io.js";
import { locateProject, type ProjectPlace } from "./project-root.js";
import { reportError, wantsJson } from "./report-error.js";

/** What the commands of one run work with. */
export interface RunContext {
  io: CliIo;
  /** The arguments after `pc`, as given. */
  args: string[];
}

/** The engine options of the commands that generate (build, watch, diff, verify, doctor). */
const ENGINE_OPTIONS = {
  baseUrl: [
    "--base-url <url>",
    "OpenAI-compatible server (default: PC_BASE_URL, pc.config.json, http://127.0.0.1:8080/v1)",
  ],
  timeout: ["--timeout <seconds>", "Abandon a request after this many seconds without data (default 120)"],
  retries: ["--retries <n>", "Retries of a transient engine error (default 3)"],
  threads: ["--threads <n>", "Threads of the embedded engine (the output does not depend on it)"],
} as const;

/** The cache options of the commands that build (build, watch); see cacheFlags. */
const CACHE_OPTIONS = {
  noCache: ["--no-cache", "Do not restore earlier generations from the cache"],
  offline: ["--offline", "Restore from the cache only; fail prompts that need the model"],
} as const;

/** The commands of one run, defined on a cac instance of its own. */
export function definePc(context: RunContext, version: string): CAC {
  const { io, args } = context;
  const json = wantsJson(args);
  let place: ProjectPlace | undefined;
  /** The project the command is about, found once: the root from where pc was started. */
  const project = () => (place ??= locateProject(io.cwd));
  const paths = (given: string[]) => given.map(project().fromStart);
  /** `trouble`: the exit code of any error, for commands whose 1 means something else (pc diff). */
  const run = async (command: () => Promise<number>, trouble?: number): Promise<number> => {
    try {
      return await command();
    } catch (error) {
      const code = reportError(io, error, json);
      return trouble ?? code;
    }
  };
  const cli = cac("pc");

  cli
    .command("init", "Create prompts/, generated/, an example prompt and an empty lock")
    .action(() => run(async () => (await import("./init.js")).initCommand(io, { cwd: io.cwd })));

  cli
    .command(
      "status [...paths]",
      "Show each prompt's state: fresh, stale (and why), new, missing, drifted, orphaned, failed",
    )
    .option("--json", "Print a machine-readable report")
    .example("pc status prompts/api --json")
    .action((given: string[], flags) =>
      run(async () =>
        (await import("./status.js")).statusCommand(io, { cwd: project().root, paths: paths(given), json: flags.json }),
      ),
    );

  cli
    .command("check [...paths]", "Exit 0 only when every prompt is fresh (the CI gate)")
    .option("--json", "Print a machine-readable report")
    .option("--run", "Also run the checks of fresh prompts on the outputs on disk (no model)")
    .action((given: string[], flags) =>
      run(async () =>
        (await import("./status.js")).checkCommand(io, {
          cwd: project().root,
          paths: paths(given),
          json: flags.json,
          run: flags.run,
        }),
      ),
    );

  cli
    .command("render <prompt>", "Print the complete prompt exactly as the model receives it")
    .option("--format <format>", "markdown (default), text, or json (the messages as sent to a server)")
    .option("--copy", "Put it on the clipboard (OSC 52 to the terminal where there is none, e.g. over SSH)")
    .example("pc render prompts/fib.md --copy")
    .action((prompt: string, flags) =>
      run(async () => {
        const format = oneOf("format", flags.format, choicesOf("render --format"));
        const [given] = paths([prompt]);
        return (await import("./render.js")).renderCommand(io, {
          cwd: project().root,
          prompt: given!,
          format,
          copy: flags.copy,
        });
      }),
    );

  cli
    .command(
      "accept <prompt> [answer]",
      "Record a chat UI's answer (a file, - for stdin, or --paste) as the prompt's output; with no answer, adopt the output on disk as kept by hand",
    )
    .option("--model <label>", 'What wrote the answer, recorded in the lock (e.g. "chatgpt web")')
    .option("--paste", "Read the answer from the clipboard")
    .option("--force", "Overwrite an output that was edited by hand")
    .example('pc accept prompts/fib.md answer.md --model "chatgpt web"')
    .example("pc accept prompts/fib.md   # keep the hand edit of its output")
    .action((prompt: string, given: string | undefined, flags) =>
      run(async () => {
        // cac's parser drops a lone "-" (it reads it as a nameless option), so look for it in the arguments.
        const answer = given ?? (args.includes("-") ? "-" : undefined);
        const label =
          flags.model === undefined || typeof flags.model === "boolean" ? flags.model : String(flags.model).trim();
        if (label !== undefined && (typeof label !== "string" || label === "")) {
          throw new PcError("PC_USAGE", '--model needs a label, e.g. --model "chatgpt web"');
        }
        if (flags.paste && answer !== undefined)
          throw new PcError("PC_USAGE", `give the answer as a file ("${answer}") or with --paste, not both`);
        if (flags.model !== undefined && !flags.paste && answer === undefined) {
          throw new PcError("PC_USAGE", "--model labels a chat answer, and no answer was given", {
            hint: "Pass the answer (a file, - for stdin, or --paste). Without one, pc accept adopts the output on disk as kept by hand.",
          });
        }
        const [target] = paths([prompt]);
        const answerFile = answer === undefined || answer === "-" ? answer : paths([answer])[0];
        return (await import("./accept.js")).acceptCommand(io, {
          cwd: project().root,
          prompt: target!,
          answerFile,
          paste: flags.paste,
          label,
          force: flags.force,
        });
      }),
    );

  cli
    .command(
      "graph [...paths]",
      "Show prompts, the files they read and write, and their dependencies, coloured by state",
    )
    .option("--format <format>", "mermaid (default, renders on GitHub), dot (Graphviz), or json")
    .example("pc graph > graph.mmd")
    .example("pc graph --format dot | dot -Tsvg > graph.svg")
    .action((given: string[], flags) =>
      run(async () => {
        const format = oneOf("format", flags.format, choicesOf("graph --format")) as
          "mermaid" | "dot" | "json" | undefined;
        return (await import("./graph.js")).graphCommand(io, { cwd: project().root, paths: paths(given), format });
      }),
    );

  cli
    .command(
      "doctor",
      "Check what a build needs: the server or embedded engine for each pinned model, the lock, the prompts",
    )
    .option("--json", "Print a machine-readable report")
    .option(...ENGINE_OPTIONS.baseUrl)
    .example("pc doctor --base-url http://127.0.0.1:11434/v1")
    .action((flags) =>
      run(async () =>
        (await import("./doctor.js")).doctorCommand(io, {
          cwd: project().root,
          json: flags.json,
          baseUrl: flags.baseUrl,
        }),
      ),
    );

  cli
    .command("lock", "Check promptfile.lock against the outputs on disk; --repair fixes it without any model call")
    .option(
      "--repair",
      "Rehash outputs and mark mismatches stale; rebuild an unreadable lock from what can be recovered (the old file is kept as promptfile.lock.bak)",
    )
    .option("--json", "Print a machine-readable report")
    .example("pc lock --repair")
    .action((flags) =>
      run(async () =>
        (await import("./lock.js")).lockCommand(io, { cwd: project().root, repair: flags.repair, json: flags.json }),
      ),
    );

  cli
    .command("build [...paths]", "Regenerate new, stale and missing prompts (and only those) from the model")
    .option("-j, --jobs <n>", "Prompts generated concurrently (default 1: parallel slots break determinism)")
    .option("--force", "Regenerate even fresh prompts and overwrite hand-edited outputs")
    .option("--dry-run", "Print the plan with each prompt's reason; make no request")
    .option("--json", "Print a machine-readable report")
    .option(...ENGINE_OPTIONS.baseUrl)
    .option(...ENGINE_OPTIONS.timeout)
    .option(...ENGINE_OPTIONS.retries)
    .option(...ENGINE_OPTIONS.threads)
    .option(...CACHE_OPTIONS.noCache)
    .option(...CACHE_OPTIONS.offline)
    .option("--keep-failed", "Write outputs whose checks fail anyway (recorded as failed)")
    .option("--metrics <file>", "Write Prometheus metrics of the build to <file> (node_exporter textfile format)")
    .example("pc build")
    .example("pc build prompts/api -j 2 --base-url http://127.0.0.1:11434/v1")
    .action((given: string[], flags) =>
      run(async () => {
        // cac turns numeric values into numbers, and an empty one into 0.
        if (flags.metrics === "" || (flags.metrics === 0 && args.includes(""))) {
          throw new PcError("PC_USAGE", "--metrics needs a file name", {
            hint: "e.g. pc build --metrics /var/lib/node_exporter/textfile/pc.prom",
          });
        }
        if (flags.metrics !== undefined && !String(flags.metrics).endsWith(".prom")) {
          throw new PcError(
            "PC_USAGE",
            `--metrics writes a Prometheus textfile, whose name ends in .prom; got "${flags.metrics}"`,
            {
              hint: "node_exporter's textfile collector reads only *.prom files, e.g. pc build --metrics /var/lib/node_exporter/textfile/pc.prom",
            },
          );
        }
        if (flags.metrics !== undefined && flags.dryRun) {
          throw new PcError("PC_USAGE", "--metrics records a build; a --dry-run makes none", {
            hint: "Drop --dry-run, or --metrics.",
          });
        }
        return (await import("./build.js")).buildCommand(io, {
          cwd: project().root,
          paths: paths(given),
          force: flags.force,
          dryRun: flags.dryRun,
          json: flags.json,
          ...cacheFlags(flags),
          jobs: integer("jobs", flags.jobs, 1),
          baseUrl: flags.baseUrl,
          ...engineFlags(flags),
          keepFailed: flags.keepFailed,
          metrics: flags.metrics === undefined ? undefined : paths([String(flags.metrics)])[0],
        });
      }),
    );

  cli
    .command("completion [shell]", "Print the shell completion script for bash or zsh (commands, flags, prompt paths)")
    .option("--list-prompts", "List the project's prompt files (the completion scripts use it)")
    .example("source <(pc completion bash)")
    .example('eval "$(pc completion zsh)"')
    .action((shell: string | undefined, flags) =>
      run(async () => {
        const shells = choicesOf("completion <shell>");
        if (!flags.listPrompts && !shells.includes(String(shell))) {
          throw new PcError(
            "PC_USAGE",
            shell
              ? `pc completion knows ${shells.join(" and ")}, not "${shell}"`
              : "pc completion needs a shell: bash or zsh",
            {
              hint: "e.g. source <(pc completion bash)",
            },
          );
        }
        const { completionSpec } = await import("./completion-spec.js");
        return (await import("./completion.js")).completionCommand(io, {
          shell,
          listPrompts: flags.listPrompts,
          spec: completionSpec(cli),
        });
      }),
    );

  cli
    .command(
      "verify [...paths]",
      "Regenerate prompts without the cache, writing nothing, and check the lock's bytes are reproduced",
    )
    .option("--json", "Print a machine-readable report (with full diffs)")
    .option(...ENGINE_OPTIONS.baseUrl)
    .option(...ENGINE_OPTIONS.timeout)
    .option(...ENGINE_OPTIONS.threads)
    .example("pc verify")
    .example("pc verify prompts/api.md --json")
    .action((given: string[], flags) =>
      run(async () => {
        const [cwd, selected] = [project().root, paths(given)];
        const { timeout, threads } = engineFlags(flags);
        return (await import("./verify.js")).verifyCommand(io, {
          cwd,
          paths: selected,
          json: flags.json,
          baseUrl: flags.baseUrl,
          timeout,
          threads,
        });
      }),
    );

  cli
    .command(
      "seed <prompt>",
      "Try seeds until a generation passes the prompt's checks; --pin writes the first that passes",
    )
    .option("--try <n>", "How many seeds to try (default 10)")
    .option("--from <seed>", "The first seed tried (default 1)")
    .option("--pin", "Write the first passing seed into the prompt and build it (from the cache: no model call)")
    .option("-j, --jobs <n>", "Seeds generated concurrently on a server (default 1)")
    .option("--json", "Print a machine-readable report")
    .option(...ENGINE_OPTIONS.baseUrl)
    .option(...ENGINE_OPTIONS.timeout)
    .option(...ENGINE_OPTIONS.retries)
    .option(...ENGINE_OPTIONS.threads)
    .example("pc seed prompts/fib.md --try 20 --pin")
    .action((prompt: string, flags) =>
      run(async () => {
        const [given] = paths([prompt]);
        return (await import("./seed.js")).seedCommand(io, {
          cwd: project().root,
          prompt: given!,
          tries: integer("try", flags.try, 1),
          from: wholeNumber("from", flags.from),
          pin: flags.pin,
          jobs: integer("jobs", flags.jobs, 1),
          json: flags.json,
          baseUrl: flags.baseUrl,
          ...engineFlags(flags),
        });
      }),
    );

  cli
    .command("watch [...paths]", "Rebuild on every save of a prompt, partial, context file or the config")
    .option("--json", "Print NDJSON events (ready, change, start, progress, done, failed, cancelled, idle)")
    .option("-j, --jobs <n>", "Prompts generated concurrently (default 1)")
    .option(...ENGINE_OPTIONS.baseUrl)
    .option(...ENGINE_OPTIONS.timeout)
    .option(...ENGINE_OPTIONS.retries)
    .option(...ENGINE_OPTIONS.threads)
    .option(...CACHE_OPTIONS.noCache)
    .option(...CACHE_OPTIONS.offline)
    .option("--keep-failed", "Write outputs whose checks fail anyway (recorded as failed)")
    .example("pc watch")
    .example("pc watch prompts/api --json")
    .action((given: string[], flags) =>
      run(async () =>
        (await import("./watch.js")).watchCommand(io, {
          cwd: project().root,
          paths: paths(given),
          json: flags.json,
          ...cacheFlags(flags),
          jobs: integer("jobs", flags.jobs, 1),
          baseUrl: flags.baseUrl,
          ...engineFlags(flags),
          keepFailed: flags.keepFailed,
        }),
      ),
    );

  cli
    .command(
      "diff <prompt>",
      "Regenerate without writing and show a unified diff against the current output (exit 0 same, 1 different, 2 trouble)",
    )
    .option("--seed <n>", "Regenerate with this seed instead of the prompt's")
    .option("--temperature <t>", "Regenerate with this temperature")
    .option("--model <name>", "Regenerate with this model")
    .option("--cached", "Compare the two newest generations in the cache; no model call")
    .option("--against <id>", "Compare a generation from `pc log` with the current output; no model call")
    .option(...ENGINE_OPTIONS.baseUrl)
    .option(...ENGINE_OPTIONS.timeout)
    .option(...ENGINE_OPTIONS.retries)
    .option(...ENGINE_OPTIONS.threads)
    .example("pc diff prompts/fib.md --seed 7")
    .example("pc diff prompts/fib.md --cached")
    .action((prompt: string, flags) =>
      run(async () => {
        const against = flags.against === undefined ? undefined : rawFlag(args, "against");
        if (against !== undefined && (against === "" || against.startsWith("-"))) {
          throw new PcError("PC_USAGE", "--against needs a generation id from `pc log <prompt>`");
        }
        const [given] = paths([prompt]);
        return (await import("./diff.js")).diffCommand(io, {
          cwd: project().root,
          prompt: given!,
          seed: wholeNumber("seed", flags.seed),
          temperature: number("temperature", flags.temperature),
          model: flags.model === undefined ? undefined : String(flags.model),
          cached: Boolean(flags.cached),
          against,
          baseUrl: flags.baseUrl,
          ...engineFlags(flags),
        });
      }, 2),
    );

  cli
    .command(
      "log <prompt>",
      "List a prompt's generations in the cache: id, when, model, seed, temperature, source, tokens, outputs",
    )
    .option("--json", "Print a machine-readable list")
    .example("pc log prompts/fib.md")
    .action((prompt: string, flags) =>
      run(async () =>
        (await import("./log.js")).logCommand(io, {
          cwd: project().root,
          prompt: paths([prompt])[0]!,
          json: flags.json,
        }),
      ),
    );

  cli
    .command("gc", "Prune the generation cache; never removes what the lock references")
    .option("--keep <n>", "Generations kept per prompt besides those the lock references (default 5)")
    .option("--dry-run", "Report what would be removed; remove nothing")
    .option("--json", "Print a machine-readable report")
    .example("pc gc --keep 2")
    .action((flags) =>
      run(async () => {
        const keep = integer("keep", flags.keep, 0);
        return (await import("./gc.js")).gcCommand(io, {
          cwd: project().root,
          keep,
          dryRun: flags.dryRun,
          json: flags.json,
        });
      }),
    );

  cli
    .command(
      "ui",
      "Serve the workbench in a browser: prompts and states live, builds, chat round trips, diffs, the graph",
    )
    .option("--port <n>", "Port (default 0: any free port)")
    .option("--host <host>", "Interface to listen on (default 127.0.0.1; any other is reachable from elsewhere)")
    .option("--no-open", "Print the URL; do not open a browser")
    .option(...ENGINE_OPTIONS.baseUrl)
    .example("pc ui --no-open")
    .action((flags) =>
      run(async () => {
        const root = project().root;
        return (await import("./ui.js")).uiCommand(io, {
          cwd: root,
          port: integer("port", flags.port, 0),
          host: flags.host === undefined ? undefined : String(flags.host),
          open: flags.open,
          baseUrl: flags.baseUrl,
        });
      }),
    );

  cli.help();
  cli.version(version);
  return cli;
}

function oneOf(flag: string, value: unknown, allowed: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(String(value))) {
    throw new PcError("PC_USAGE", `--${flag} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return String(value);
}

function engineFlags(flags: { timeout?: unknown; retries?: unknown; threads?: unknown }) {
  return {
    timeout: integer("timeout", flags.timeout, 1),
    retries: integer("retries", flags.retries, 0),
    threads: integer("threads", flags.threads, 1),
  };
}

/** A whole number >= min from a flag, or undefined when the flag is absent. */
function integer(flag: string, value: unknown, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new PcError("PC_USAGE", `--${flag} must be a whole number >= ${min}, got "${value}"`);
  return n;
}

/** --offline restores from the cache, so it cannot be combined with --no-cache. */
function cacheFlags(flags: { cache?: boolean; offline?: boolean }): { cache: boolean; offline: boolean } {
  if (flags.offline && flags.cache === false) {
    throw new PcError("PC_USAGE", "--offline restores from the cache: it cannot be combined with --no-cache", {
      hint: "Use --offline to build without a model, or --no-cache to regenerate everything from the model.",
    });
  }
  return { cache: flags.cache !== false, offline: Boolean(flags.offline) };
}

/** A flag's value exactly as typed: cac turns numeric-looking values into numbers ("0123" -> 123). */
function rawFlag(args: string[], name: string): string | undefined {
  let value: string | undefined;
  args.forEach((arg, i) => {
    if (arg === `--${name}`) value = args[i + 1] ?? "";
    else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
  });
  return value;
}

/** A whole number of either sign from a flag (a seed), or undefined when the flag is absent. */
function wholeNumber(flag: string, value: unknown): number | undefined {
  const n = number(flag, value);
  if (n !== undefined && !Number.isSafeInteger(n))
    throw new PcError("PC_USAGE", `--${flag} must be a whole number, got "${value}"`);
  return n;
}

/** A number from a flag, or undefined when the flag is absent. */
function number(flag: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value === "boolean" || String(value).trim() === "" || !Number.isFinite(n))
    throw new PcError("PC_USAGE", `--${flag} must be a number, got "${value}"`);
  return n;
}
