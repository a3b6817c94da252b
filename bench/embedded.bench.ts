/**
 * The embedded engine's generation speed through `pc build` against node-llama-cpp called directly,
 * on the same model, prompt and settings, in the same run. Target: pc within 5% of direct.
 *
 *   npm run build && npx tsx bench/embedded.bench.ts [runs]   (default 9)
 *
 * The model is the test suite's tiny llama made wider (512) and deeper (4 layers), about 56 MB, so
 * a token costs milliseconds and generation, not overhead, is what is measured. Both sides generate
 * the same tokens (checked byte for byte) with one thread, as pc chooses for a model this size.
 * Each run of either side is a fresh process that loads the model and generates once, as a one-off
 * script and `pc build` do. pc's figure is its own report (`--json`: completion tokens / generation
 * time); the direct figure times `new LlamaChat()` + `generateResponse()` in a script that calls
 * node-llama-cpp itself. Model loading and process start are excluded from both; pc's wall time per
 * build is shown separately. Runs alternate between the two sides, so
 * each pc run has a direct run next to it; on a shared machine the median of those paired ratios
 * and the best run of each side are steadier than the ratio of medians, so all three are printed.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaChat, resolveChatWrapper, type ChatHistoryItem } from "node-llama-cpp";
import { render } from "../src/commands/render.js";
import { writeTinyModelSync } from "../test/support/tiny-gguf.js";

const RUNS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 9);
const REPO = fileURLToPath(new URL("..", import.meta.url));
const WORK = path.join(REPO, "bench/.work/embedded");
const CLI = path.join(REPO, "dist/cli.js");
const SEED = 1;
const TEMPERATURE = 0.8;
const MAX_TOKENS = 600;
const THREADS = 1;
const CONTEXT = 4096;
const BATCH = 512;

function setUp(): void {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(path.join(WORK, "models"), { recursive: true });
  mkdirSync(path.join(WORK, "prompts"));
  writeTinyModelSync(path.join(WORK, "models/bench.gguf"), {
    seed: 5,
    shape: { embedding: 512, layers: 4, heads: 8, feedForward: 1536 },
  });
  const prompt = [
    "---",
    "version: 1",
    "model: gguf:models/bench.gguf",
    `seed: ${SEED}`,
    `temperature: ${TEMPERATURE}`,
    `max_tokens: ${MAX_TOKENS}`,
    "extract: raw",
    "output: generated/bench.txt",
    "---",
    "Say hello.",
    "",
  ].join("\n");
  writeFileSync(path.join(WORK, "prompts/bench.md"), prompt);
}

interface Sample {
  tokens: number;
  ms: number;
  text: string;
}

/** One `pc build` in a fresh process; pc's own measurement from its JSON report. */
function pcRun(): Sample & { wallMs: number } {
  const started = performance.now();
  const stdout = execFileSync(
    process.execPath,
    [CLI, "build", "--force", "--no-cache", "--json", "--threads", String(THREADS)],
    {
      cwd: WORK,
      encoding: "utf8",
    },
  );
  const wallMs = performance.now() - started;
  const report = JSON.parse(stdout) as {
    ok: boolean;
    prompts: Array<{ outcome: string; usage: { completionTokens: number }; durationMs: number; error: unknown }>;
  };
  const [p] = report.prompts;
  if (!report.ok || p?.outcome !== "built") throw new Error(`pc build failed: ${JSON.stringify(p?.error ?? report)}`);
  const text = readFileSync(path.join(WORK, "generated/bench.txt"), "utf8");
  return { tokens: p.usage.completionTokens, ms: p.durationMs, text, wallMs };
}

/** One direct generation in a fresh process: this script again, with `--direct`. */
function directRun(): Sample {
  const stdout = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), "--direct"], {
    encoding: "utf8",
  });
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as Sample;
}

/** The `--direct` child: node-llama-cpp on its own, with the settings pc uses. */
async function directChild(): Promise<void> {
  const { messages } = await render({ cwd: WORK, prompt: "prompts/bench.md" });
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, maxThreads: 0 });
  const model = await llama.loadModel({ modelPath: path.join(WORK, "models/bench.gguf"), gpuLayers: 0 });
  const context = await model.createContext({
    contextSize: CONTEXT,
    batchSize: BATCH,
    sequences: 1,
    threads: { ideal: THREADS, min: THREADS },
    flashAttention: false,
  });
  const sequence = context.getSequence();
  const chatWrapper = resolveChatWrapper(model);
  const history: ChatHistoryItem[] = [
    ...messages.map((m): ChatHistoryItem =>
      m.role === "system" ? { type: "system", text: m.content } : { type: "user", text: m.content },
    ),
    { type: "model", response: [] },
  ];
  const started = performance.now();
  const chat = new LlamaChat({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
  const response = await chat.generateResponse(history, {
    maxTokens: MAX_TOKENS,
    seed: SEED,
    temperature: TEMPERATURE,
    topP: 1,
    topK: 0,
    minP: 0,
    repeatPenalty: false,
  });
  const ms = performance.now() - started;
  if (response.metadata.stopReason === "maxTokens")
    throw new Error("the direct generation hit max_tokens; pick another seed");
  const sample: Sample = { tokens: sequence.tokenMeter.usedOutputTokens, ms, text: response.response };
  process.stdout.write(`${JSON.stringify(sample)}\n`);
  await llama.dispose();
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const rate = (s: Sample) => (s.tokens * 1000) / s.ms;

if (process.argv.includes("--direct")) {
  await directChild();
  process.exit(0);
}

setUp();
const pcSamples: Array<Sample & { wallMs: number }> = [];
const directSamples: Sample[] = [];
directRun(); // warm-up: the model file in the page cache for both sides
for (let i = 0; i < RUNS; i++) {
  directSamples.push(directRun());
  pcSamples.push(pcRun());
}

for (const [p, d] of pcSamples.map((p, i) => [p, directSamples[i]!] as const)) {
  if (p.text !== `${d.text}\n` || p.tokens !== d.tokens)
    throw new Error("pc and node-llama-cpp generated different tokens: the comparison is void");
}
const pcRate = median(pcSamples.map(rate));
const directRate = median(directSamples.map(rate));
const modelMb = (statSync(path.join(WORK, "models/bench.gguf")).size / 1e6).toFixed(0);

console.log(
  `Embedded engine: ${modelMb} MB llama GGUF (512 wide, 4 layers, F32), ${THREADS} thread, ${pcSamples[0]!.tokens} tokens per generation, ${RUNS} runs, medians\n`,
);
const best = (samples: Sample[]) => Math.max(...samples.map(rate));
const paired = median(pcSamples.map((p, i) => rate(p) / rate(directSamples[i]!)));
console.log(
  "| side | tokens/s (median) | tokens/s (best run) | generation ms (median) | wall ms per pc build (median) |",
);
console.log("|---|---:|---:|---:|---:|");
console.log(
  `| node-llama-cpp direct | ${directRate.toFixed(1)} | ${best(directSamples).toFixed(1)} | ${median(directSamples.map((s) => s.ms)).toFixed(0)} | |`,
);
console.log(
  `| pc build | ${pcRate.toFixed(1)} | ${best(pcSamples).toFixed(1)} | ${median(pcSamples.map((s) => s.ms)).toFixed(0)} | ${median(pcSamples.map((s) => s.wallMs)).toFixed(0)} |`,
);
console.log("\n| pc / direct tokens per second | value |\n|---|---:|");
console.log(`| ratio of medians | ${(pcRate / directRate).toFixed(3)} |`);
console.log(`| median of paired ratios | ${paired.toFixed(3)} |`);
console.log(`| ratio of best runs | ${(best(pcSamples) / best(directSamples)).toFixed(3)} |`);
console.log("\nTarget: pc within 5% of direct (ratio >= 0.95).");
