// Times a cache restore of 100 prompts (every prompt reverted to content built before: zero model
// calls) against a no-op build of the same project (everything fresh): as a user runs it (the built
// `pc build`, process start included) and through the library's build() in one warm process.
// Run: npx tsx bench/cache-restore.bench.ts [--runs N]
import { execFile, execFileSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build, type BuildReport } from "../src/commands/build.js";
import { startTestServer } from "../test/support/openai-server.js";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "7" }, prompts: { type: "string", default: "100" } },
});
const RUNS = Number(values.runs);
const PROMPTS = Number(values.prompts);
const TARGET_RATIO = 2;

const repo = fileURLToPath(new URL("..", import.meta.url));
const work = path.join(repo, "bench/.work/cache-restore");

const promptText = (i: number, version: "a" | "b") =>
  `---\nversion: 1\nmodel: bench-model\nseed: 42\ntemperature: 0\noutput: generated/p${i}.py\ncontext: [notes.txt]\n---\nPrint ${i}, variant ${version}.\n<%~ include("_style") %>\n`;

async function writePrompts(version: "a" | "b"): Promise<void> {
  for (let i = 0; i < PROMPTS; i++) await writeFile(path.join(work, `prompts/p${i}.md`), promptText(i, version));
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

await rm(work, { recursive: true, force: true });
await mkdir(path.join(work, "prompts"), { recursive: true });
await writeFile(path.join(work, "notes.txt"), "Shared notes every prompt reads.\n");
await writeFile(path.join(work, "prompts/_style.md"), "Use only the standard library.\n");

execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], {
  cwd: repo,
  stdio: "inherit",
});
const server = await startTestServer();

/** `pc build --json`, spawn to exit. */
const runCli = (expect: keyof BuildReport["totals"]): Promise<number> =>
  new Promise((resolve, reject) => {
    const started = performance.now();
    execFile(
      process.execPath,
      [path.join(repo, "dist/cli.js"), "build", "--json", "--base-url", server.baseURL],
      { cwd: work },
      (error, stdout, stderr) => {
        const elapsed = performance.now() - started;
        if (error) return reject(new Error(`pc build failed: ${stderr}`));
        const totals = (JSON.parse(stdout) as BuildReport).totals;
        if (totals[expect] !== PROMPTS)
          reject(new Error(`expected ${PROMPTS} ${expect}, got ${JSON.stringify(totals)}`));
        else resolve(elapsed);
      },
    );
  });

const run = async (expect: keyof BuildReport["totals"]): Promise<number> => {
  const started = performance.now();
  const report = await build({ cwd: work, baseUrl: server.baseURL });
  const elapsed = performance.now() - started;
  if (report.totals[expect] !== PROMPTS)
    throw new Error(`expected ${PROMPTS} ${expect}, got ${JSON.stringify(report.totals)}`);
  return elapsed;
};

const restore: number[] = [];
const noop: number[] = [];
const cliRestore: number[] = [];
const cliNoop: number[] = [];
try {
  // Both variants of every prompt generated once: from now on each revert is a restore.
  await writePrompts("a");
  await run("built");
  await writePrompts("b");
  await run("built");
  const requests = server.chatRequests().length;
  let current: "a" | "b" = "b";
  const flip = () => writePrompts((current = current === "a" ? "b" : "a"));
  for (let i = 0; i < RUNS; i++) {
    await flip();
    cliRestore.push(await runCli("cached"));
    cliNoop.push(await runCli("fresh"));
    await flip();
    restore.push(await run("cached"));
    noop.push(await run("fresh"));
  }
  if (server.chatRequests().length !== requests) throw new Error("a restore made a model request");
} finally {
  await server.close();
}

const cliRatio = median(cliRestore) / median(cliNoop);
const ratio = median(restore) / median(noop);
console.log(
  `\n## Cache restore vs no-op build (${PROMPTS} prompts, ${RUNS} runs each; ${os.cpus().length} CPUs, node ${process.version})\n`,
);
console.log("| build | median | min | max | ratio |");
console.log("|---|---|---|---|---|");
const row = (name: string, v: number[], r: string) =>
  console.log(
    `| ${name} | ${median(v).toFixed(0)} ms | ${Math.min(...v).toFixed(0)} ms | ${Math.max(...v).toFixed(0)} ms | ${r} |`,
  );
row("`pc build`, no-op (all fresh)", cliNoop, "1.00x");
row(`\`pc build\`, restore ${PROMPTS} prompts from the cache`, cliRestore, `${cliRatio.toFixed(2)}x`);
row("build() in-process, no-op", noop, "1.00x");
row(`build() in-process, restore ${PROMPTS} prompts`, restore, `${ratio.toFixed(2)}x`);
console.log(
  `\nTarget: restore under ${TARGET_RATIO}x a no-op \`pc build\`: ${cliRatio < TARGET_RATIO ? "met" : "NOT met"} (${cliRatio.toFixed(2)}x), 0 model requests.`,
);
console.log(`In-process, where the no-op is only hashing (no process start), a restore is ${ratio.toFixed(1)}x.`);
