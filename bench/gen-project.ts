/**
 * Deterministic synthetic projects for the benchmarks: N prompts with 2 KB bodies and one context
 * file each, built once so that their lock is complete and `pc build` has nothing to do.
 *
 *   npx tsx bench/gen-project.ts <prompts> [folder]     (default folder: bench/.work/project-<prompts>)
 *
 * The lock is computed with the library, prompt by prompt, exactly as `pc build` does it: the
 * prompt is rendered, the real OpenAI-compatible engine asks the in-process test server, the
 * answer is extracted and formatted, outputs are written atomically and the lock entry comes from
 * the same `lockEntryFor`. The one difference: `pc build` rewrites the lock after every prompt
 * (so an interrupted build keeps its work), which is quadratic at 10,000 prompts; here the lock is
 * written once at the end. The generation cache (.pc/generations) is not filled: a no-op build
 * never reads it. A project is reused while its stamp (generator version and size) matches.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Formatter } from "../src/answer/format.js";
import { GenerationStore } from "../src/cache/store.js";
import { lockEntryFor } from "../src/execute/lock-entry.js";
import { produce } from "../src/execute/generate.js";
import { writeOutputs } from "../src/execute/write-outputs.js";
import { EnginePool, defaultEngineFactory } from "../src/engine/engine-factory.js";
import { emptyLock } from "../src/lock/lockfile.js";
import { writeLock } from "../src/lock/lock-io.js";
import { loadProject } from "../src/plan/project.js";
import { readyToGenerate } from "../src/plan/one-prompt.js";
import { status } from "../src/commands/status.js";
import { startTestServer } from "../test/support/openai-server.js";
import { WORK } from "./harness.js";

/** Bump when the generated files change, so stale projects under bench/.work are rebuilt. */
const GENERATOR_VERSION = 1;
const STAMP = ".bench-project.json";
const PER_FOLDER = 100;
export const BENCH_MODEL = "bench-model";

export interface GeneratedProject {
  root: string;
  prompts: number;
  /** Project-relative path of the i-th prompt. */
  promptPath: (i: number) => string;
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");
const folderOf = (i: number) => `g${pad(Math.floor(i / PER_FOLDER), 3)}`;
export const promptPath = (i: number) => `prompts/${folderOf(i)}/m${pad(i, 5)}.md`;
const contextPath = (i: number) => `data/${folderOf(i)}/m${pad(i, 5)}.csv`;
const outputPath = (i: number) => `generated/${folderOf(i)}/m${pad(i, 5)}.py`;

const WORDS = [
  "parse",
  "the",
  "input",
  "records",
  "and",
  "return",
  "a",
  "sorted",
  "list",
  "of",
  "totals",
  "per",
  "account",
  "skip",
  "blank",
  "lines",
  "raise",
  "ValueError",
  "on",
  "malformed",
  "amounts",
  "with",
  "line",
  "number",
  "keep",
  "memory",
  "flat",
  "stream",
  "rows",
  "use",
  "only",
  "standard",
  "library",
];

/** Deterministic pseudo-random text of about `bytes` bytes (a linear congruential generator). */
function filler(seed: number, bytes: number): string {
  let state = (seed * 2654435761) >>> 0;
  const lines: string[] = [];
  let line = "";
  let size = 0;
  while (size < bytes) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const word = WORDS[state % WORDS.length]!;
    line = line ? `${line} ${word}` : word;
    if (line.length > 90) {
      lines.push(line);
      size += line.length + 1;
      line = "";
    }
  }
  return lines.join("\n");
}

function promptText(i: number): string {
  return [
    "---",
    "version: 1",
    `model: ${BENCH_MODEL}`,
    "seed: 42",
    "temperature: 0",
    `output: ${outputPath(i)}`,
    `context: [${contextPath(i)}]`,
    "---",
    `Write module ${i} in Python: it reads rows like those of the context file.`,
    filler(i, 2000),
    "",
  ].join("\n");
}

function contextText(i: number): string {
  const rows = Array.from(
    { length: 12 },
    (_, r) => `${i * 100 + r},acct-${(i * 7 + r) % 97},${((i * 31 + r * 17) % 10_000) / 100}`,
  );
  return `id,account,amount\n${rows.join("\n")}\n`;
}

/** Creates (or reuses) a built project of `prompts` prompts in `root`. */
export async function generateProject(
  prompts: number,
  root = path.join(WORK, `project-${prompts}`),
): Promise<GeneratedProject> {
  const stamp = JSON.stringify({ version: GENERATOR_VERSION, prompts });
  const project = { root, prompts, promptPath };
  // Reused while it is the same generator's output and still fresh (an interrupted bench may have left an edit).
  if (readText(path.join(root, STAMP)) === stamp && (await isFresh(root, prompts))) return project;

  const started = performance.now();
  process.stderr.write(`bench: generating ${prompts} prompts in ${path.relative(process.cwd(), root) || "."} ...\n`);
  rmSync(root, { recursive: true, force: true });
  for (let i = 0; i < prompts; i++) {
    write(path.join(root, promptPath(i)), promptText(i));
    write(path.join(root, contextPath(i)), contextText(i));
  }
  await buildLock(root);
  await verifyFresh(root, prompts);
  writeFileSync(path.join(root, STAMP), stamp);
  process.stderr.write(`bench: generated in ${Math.round((performance.now() - started) / 1000)} s\n`);
  return project;
}

async function buildLock(root: string): Promise<void> {
  const server = await startTestServer({ models: [BENCH_MODEL] });
  const engines = new EnginePool(defaultEngineFactory, { root, baseURL: server.baseURL });
  try {
    const project = await loadProject(root, { renderAll: true });
    const lock = emptyLock();
    const store = new GenerationStore(root);
    const formatter = new Formatter(root);
    const records = [...project.prompts.values()];
    let next = 0;
    const worker = async () => {
      while (next < records.length) {
        const record = readyToGenerate(records[next++]!);
        const produced = await produce(record, { root, formatter, store, engines, cache: false, offline: false });
        const hashes = await writeOutputs(root, record.prompt, produced.outputs);
        lock.prompts[record.prompt] = lockEntryFor(record, hashes, produced.source, produced.generation);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    await writeLock(root, lock);
  } finally {
    await engines.close();
    await server.close();
  }
}

/** The point of the project: every prompt is fresh, so `pc build` takes the no-op path. */
async function verifyFresh(root: string, prompts: number): Promise<void> {
  const report = await status({ cwd: root });
  const notFresh = report.prompts.filter((p) => p.state !== "fresh");
  if (report.prompts.length !== prompts || notFresh.length > 0) {
    throw new Error(
      `generated project is not fresh: ${notFresh.length} of ${report.prompts.length} prompts (${notFresh[0]?.prompt}: ${notFresh[0]?.reasons[0]})`,
    );
  }
}

async function isFresh(root: string, prompts: number): Promise<boolean> {
  return verifyFresh(root, prompts).then(
    () => true,
    () => false,
  );
}

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

function readText(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, "utf8") : undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const n = Number(process.argv[2]);
  if (!Number.isInteger(n) || n < 1) {
    process.stderr.write("usage: npx tsx bench/gen-project.ts <prompts> [folder]\n");
    process.exit(2);
  }
  const project = await generateProject(n, process.argv[3] ? path.resolve(process.argv[3]) : undefined);
  process.stdout.write(`${project.root}\n`);
}
