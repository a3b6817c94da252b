/**
 * Runs every benchmark (`bench/*.bench.ts`, each printing a markdown table) one after another and
 * prints their tables. The soak benchmark takes long and runs only with --soak.
 *
 *   npm run bench                  every benchmark but soak
 *   npm run bench -- --soak        with soak
 *   npm run bench -- noop startup  only these
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { REPO, ensureDist } from "./harness.js";

const argv = process.argv.slice(2);
const soak = argv.includes("--soak");
const only = argv.filter((a) => !a.startsWith("--"));
const tsx = createRequire(import.meta.url).resolve("tsx/cli");

const benches = readdirSync(path.join(REPO, "bench"))
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.slice(0, -".bench.ts".length))
  .filter((name) => (only.length ? only.includes(name) : soak || name !== "soak"))
  .sort();
const unknown = only.filter((name) => !benches.includes(name));
if (unknown.length) {
  process.stderr.write(`bench: no bench/${unknown[0]}.bench.ts\n`);
  process.exit(2);
}

/** Runs one benchmark; its stderr (progress) streams through, its stdout (the table) is returned. */
function runBench(name: string): Promise<{ code: number; table: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [tsx, path.join("bench", `${name}.bench.ts`)], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let table = "";
    child.stdout.on("data", (d: Buffer) => (table += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code: code ?? 1, table }));
  });
}

ensureDist();
process.stdout.write(
  `node ${process.version}, ${process.platform}-${process.arch}; ${benches.length} benchmarks: ${benches.join(", ")}\n\n`,
);
const failed: string[] = [];
for (const name of benches) {
  const started = performance.now();
  process.stderr.write(`bench: ${name} ...\n`);
  const { code, table } = await runBench(name);
  process.stdout.write(`${table.trimEnd()}\n\n`);
  process.stderr.write(
    `bench: ${name} ${code === 0 ? "done" : `FAILED (exit ${code})`} in ${Math.round((performance.now() - started) / 1000)} s\n`,
  );
  if (code !== 0) failed.push(name);
}
if (failed.length) {
  process.stderr.write(`bench: failed: ${failed.join(", ")}\n`);
  process.exitCode = 1;
}
