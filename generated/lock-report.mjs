#!/usr/bin/env node
// Reports where the generated files of a promptcode project came from, read from its promptfile.lock.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

const NAME = "lock-report.mjs";
const USAGE = `Usage: ${NAME} [--json] [--check] [LOCK_FILE]

Lists every output recorded in a promptfile.lock with its source (llm, cache, chat, hand) and prompt.
  LOCK_FILE  the lock to read (default: promptfile.lock)
  --json     print a JSON document instead of a table
  --check    hash each output and mark it ok, edited or missing (exit 1 unless all are ok)
  -h, --help print this help`;

class UsageError extends Error {}

function parseCommandLine(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: "boolean" },
        check: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new UsageError(error.message);
  }
  if (parsed.positionals.length > 1)
    throw new UsageError("expected at most one lock file");
  return {
    ...parsed.values,
    lockFile: parsed.positionals[0] ?? "promptfile.lock",
  };
}

function readLock(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(
      `${file}: cannot read the lock (${error.code ?? error.message})`,
    );
  }
  let lock;
  try {
    lock = JSON.parse(text);
  } catch (error) {
    throw new Error(`${file}: not valid JSON (${error.message})`);
  }
  if (!lock || typeof lock.prompts !== "object" || lock.prompts === null) {
    throw new Error(`${file}: not a promptfile.lock (no "prompts" object)`);
  }
  return lock;
}

function outputsOf(lock) {
  const rows = [];
  for (const [prompt, entry] of Object.entries(lock.prompts)) {
    for (const [output, hash] of Object.entries(entry.outputs ?? {})) {
      rows.push({
        path: output,
        prompt,
        source: entry.source,
        label: entry.label ?? null,
        model: entry.model,
        hash,
      });
    }
  }
  return rows.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

// Output paths in the lock are relative to the folder that holds it, not to the current folder.
function stateOf(row, root) {
  let bytes;
  try {
    bytes = readFileSync(path.join(root, row.path));
  } catch (error) {
    if (error.code === "ENOENT") return "missing";
    throw error;
  }
  const hash = `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
  return hash === row.hash ? "ok" : "edited";
}

function countBySource(rows) {
  const counts = {};
  for (const row of rows) counts[row.source] = (counts[row.source] ?? 0) + 1;
  return counts;
}

function table(rows, check) {
  const header = ["output", "source", "prompt", ...(check ? ["state"] : [])];
  const lines = rows.map((row) => [
    row.path,
    row.label ? `${row.source} (${row.label})` : row.source,
    row.prompt,
    ...(check ? [row.state] : []),
  ]);
  const widths = header.map((_, i) =>
    Math.max(...[header, ...lines].map((cells) => cells[i].length)),
  );
  return [header, ...lines]
    .map((cells) =>
      cells
        .map((cell, i) => cell.padEnd(widths[i]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function main(argv) {
  let options;
  try {
    options = parseCommandLine(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${NAME}: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const rows = outputsOf(readLock(options.lockFile));
  if (options.check) {
    const root = path.dirname(path.resolve(options.lockFile));
    for (const row of rows) row.state = stateOf(row, root);
  }
  const counts = countBySource(rows);
  if (options.json) {
    const outputs = rows.map(({ hash, ...row }) => row);
    process.stdout.write(`${JSON.stringify({ outputs, counts }, null, 2)}\n`);
  } else {
    const summary = Object.entries(counts)
      .map(([source, n]) => `${n} ${source}`)
      .join(", ");
    process.stdout.write(
      `${table(rows, options.check)}\n\n${summary || "no outputs"}\n`,
    );
  }
  return options.check && rows.some((row) => row.state !== "ok") ? 1 : 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`${NAME}: ${error.message}\n`);
  process.exitCode = 1;
}
