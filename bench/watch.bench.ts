// Times `pc watch` (the built binary) from saving a prompt to its request reaching the test server,
// debounce (100 ms) included, on a project of 20 prompts sharing a partial and a context file.
// Run: npx tsx bench/watch.bench.ts [--saves N]
import { execFileSync, spawn } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { defaultAnswer, startTestServer } from "../test/support/openai-server.js";

const { values } = parseArgs({
  options: { saves: { type: "string", default: "30" }, prompts: { type: "string", default: "20" } },
});
const SAVES = Number(values.saves);
const PROMPTS = Number(values.prompts);
const TARGET_MS = 150;

const repo = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(repo, "dist/cli.js");
const work = path.join(repo, "bench/.work/watch");

const promptText = (i: number, version: number) =>
  `---\nversion: 1\nmodel: bench-model\nseed: 42\ntemperature: 0\noutput: generated/p${i}.py\ncontext: [notes.txt]\n---\nPrint ${i} (version ${version}).\n<%~ include("_style") %>\n`;

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], {
  cwd: repo,
  stdio: "inherit",
});
await rm(work, { recursive: true, force: true });
await mkdir(path.join(work, "prompts"), { recursive: true });
await writeFile(path.join(work, "notes.txt"), "Shared notes every prompt reads.\n");
await writeFile(path.join(work, "prompts/_style.md"), "Use only the standard library.\n");
for (let i = 0; i < PROMPTS; i++) await writeFile(path.join(work, `prompts/p${i}.md`), promptText(i, 0));

// The answer function runs when a request arrives, in this process: the same clock as the save.
let arrived: ((at: number) => void) | undefined;
const server = await startTestServer({
  answer: (body) => {
    arrived?.(performance.now());
    return defaultAnswer(body);
  },
});
const child = spawn(process.execPath, [cli, "watch", "--json", "--base-url", server.baseURL], {
  cwd: work,
  stdio: ["ignore", "pipe", "inherit"],
});
let buffer = "";
let onEvent: ((event: { event: string }, at: number) => void) | undefined;
child.stdout.on("data", (data) => {
  buffer += data;
  for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
    const event = JSON.parse(buffer.slice(0, i));
    buffer = buffer.slice(i + 1);
    onEvent?.(event, performance.now());
  }
});
const nextEvent = (kind: string) =>
  new Promise<number>((resolve) => (onEvent = (e, at) => e.event === kind && resolve(at)));

const toRequest: number[] = [];
const toChange: number[] = [];
try {
  await nextEvent("idle"); // the initial build of every prompt
  for (let save = 1; save <= SAVES; save++) {
    const request = new Promise<number>((resolve) => (arrived = resolve));
    const idle = new Promise<void>((resolve) => {
      onEvent = (e, at) => {
        if (e.event === "change") toChange.push(at - started);
        if (e.event === "idle") resolve();
      };
    });
    const started = performance.now();
    await writeFile(path.join(work, `prompts/p${save % PROMPTS}.md`), promptText(save % PROMPTS, save));
    toRequest.push((await request) - started);
    await idle;
  }
} finally {
  child.kill("SIGINT");
  await new Promise((resolve) => child.on("close", resolve));
  await server.close();
}

const median = quantile(toRequest, 0.5);
console.log(
  `\n## pc watch: save to request (${SAVES} saves, ${PROMPTS} prompts, debounce 100 ms; ${os.cpus().length} CPUs, node ${process.version})\n`,
);
console.log("| measure | median | p90 | min | max |");
console.log("|---|---|---|---|---|");
const row = (name: string, v: number[]) =>
  console.log(
    `| ${name} | ${quantile(v, 0.5).toFixed(0)} ms | ${quantile(v, 0.9).toFixed(0)} ms | ${Math.min(...v).toFixed(0)} ms | ${Math.max(...v).toFixed(0)} ms |`,
  );
row("save → `change` event read", toChange);
row("save → request at the server", toRequest);
console.log(
  `\nTarget: median under ${TARGET_MS} ms: ${median < TARGET_MS ? "met" : "NOT met"} (${median.toFixed(0)} ms).`,
);
