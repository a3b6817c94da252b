// `npm run mutation`: Stryker over the core's modules, one module at a time (docs/testing.md,
// "Mutation score"). Each module keeps its incremental file in test/mutation/, so a rerun tests
// only the mutants of code or tests that changed since the recorded run.
//
//   npm run mutation                                   every module
//   npm run mutation -- answer hash                    these modules
//   npm run mutation -- --mutate src/answer/fences.ts  one file (or a range, file.ts:10-20) of a module
//   npm run mutation -- hash --force                   any other option goes to Stryker
//
// A run over part of a module keeps the recorded results of the module's other files.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import picomatch from "picomatch";
import { MODULES } from "../stryker.config.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const stryker = path.join(root, "node_modules/@stryker-mutator/core/bin/stryker.js");

const args = process.argv.slice(2);
const named = [];
const passed = [];
let mutate;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--mutate" || args[i] === "-m") mutate = args[++i];
  else if (args[i].startsWith("--mutate=")) mutate = args[i].slice("--mutate=".length);
  else if (Object.hasOwn(MODULES, args[i])) named.push(args[i]);
  else passed.push(args[i]);
}
if (mutate === undefined && passed.some((a) => !a.startsWith("-") && !/^\d+$/.test(a))) {
  const unknown = passed.find((a) => !a.startsWith("-"));
  fail(`"${unknown}" is no module of the mutation run: use ${Object.keys(MODULES).join(", ")}, or --mutate <file>`);
}

const runs = mutate === undefined ? (named.length ? named : Object.keys(MODULES)).map((m) => ({ module: m })) : [];
if (mutate !== undefined) {
  const files = mutate.split(",").map((f) => f.trim());
  const byModule = new Map();
  for (const file of files) {
    const module = moduleOf(file.replace(/:[\d:-]+$/, ""));
    if (!module) fail(`${file} is in no module of the mutation run (stryker.config.mjs, MODULES)`);
    byModule.set(module, [...(byModule.get(module) ?? []), file]);
  }
  for (const [module, patterns] of byModule) runs.push({ module, mutate: patterns.join(",") });
}

const scores = [];
for (const run of runs) {
  const incrementalFile = path.join(root, `test/mutation/${run.module}.incremental.json`);
  const recorded = run.mutate && existsSync(incrementalFile) ? readJson(incrementalFile) : undefined;
  const strykerArgs = ["run", ...(run.mutate ? ["--mutate", run.mutate] : []), ...passed];
  console.log(`\n== ${run.module}${run.mutate ? ` (${run.mutate})` : ""}: stryker ${strykerArgs.join(" ")}`);
  const result = spawnSync(process.execPath, [stryker, ...strykerArgs], {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, PC_MUTATION_MODULE: run.module },
  });
  if (result.status !== 0) fail(`Stryker failed on ${run.module} (exit ${result.status ?? result.signal})`);
  const report = readJson(path.join(root, `reports/mutation/${run.module}.json`));
  if (recorded)
    writeFileSync(incrementalFile, `${JSON.stringify(merged(recorded, readJson(incrementalFile)), null, 2)}\n`);
  else writeFileSync(incrementalFile, `${JSON.stringify(readJson(incrementalFile), null, 2)}\n`);
  scores.push({ module: run.module, part: run.mutate, ...score(report) });
}

console.log("\nmodule       score   killed  survived  no coverage  timeout");
for (const s of scores) {
  const figure = s.valid ? `${((100 * s.detected) / s.valid).toFixed(1)}%` : "-";
  console.log(
    `${(s.module + (s.part ? "*" : "")).padEnd(12)} ${figure.padStart(6)} ${String(s.killed).padStart(8)} ${String(s.survived).padStart(9)} ${String(s.noCoverage).padStart(12)} ${String(s.timeout).padStart(8)}`,
  );
}
if (scores.some((s) => s.part)) console.log("* only the files given with --mutate");

/** The module a source file belongs to. */
function moduleOf(file) {
  const normal = path.posix.normalize(file.split(path.sep).join("/")).replace(/^\.\//, "");
  return Object.keys(MODULES).find((module) => {
    const patterns = MODULES[module];
    const included = patterns.filter((p) => !p.startsWith("!")).some((p) => picomatch(p)(normal));
    return included && !patterns.filter((p) => p.startsWith("!")).some((p) => picomatch(p.slice(1))(normal));
  });
}

/** A module's recorded results with those of a partial run put in place of its files' (and tests') old ones. */
function merged(recorded, partial) {
  return {
    ...partial,
    files: { ...recorded.files, ...partial.files },
    testFiles: { ...(recorded.testFiles ?? {}), ...(partial.testFiles ?? {}) },
  };
}

/** Mutation score figures of a Stryker JSON report (Stryker's definition: detected / valid). */
function score(report) {
  const count = { killed: 0, survived: 0, noCoverage: 0, timeout: 0 };
  for (const file of Object.values(report.files)) {
    for (const mutant of file.mutants) {
      if (mutant.status === "Killed") count.killed++;
      else if (mutant.status === "Survived") count.survived++;
      else if (mutant.status === "NoCoverage") count.noCoverage++;
      else if (mutant.status === "Timeout") count.timeout++;
    }
  }
  const detected = count.killed + count.timeout;
  return { ...count, detected, valid: detected + count.survived + count.noCoverage };
}

function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

function fail(message) {
  console.error(`npm run mutation: ${message}`);
  process.exit(1);
}
