/**
 * The embedded engine's generation speed through `pc build` against node-llama-cpp called directly,
 * on the same model, prompt and settings, in the same run. Target: pc within 5% of direct.
 *
 *   npm run build && npx tsx bench/embedded.bench.ts [runs]
 *
 * The model is the test suite's tiny llama made wider (512) and deeper (4 layers), about 56 MB, so
 * a token costs milliseconds and generation, not overhead, is what is measured. Both sides generate
 * the same tokens (checked byte for byte) with one thread, as pc chooses for a model this size.
 * pc's figure is its own report (`--json`: completion tokens / generation time); the direct figure
 * times `new LlamaChat()` + `generateResponse()`. Model loading and process start are excluded from
 * both and shown separately as pc's wall time per build. Runs alternate between the two sides.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaChat, resolveChatWrapper, type ChatHistoryItem } from "node-llama-cpp";
import { render } from "../src/ops/render.js";
import { writeTinyModelSync } from "../test/support/tiny-gguf.js";

const RUNS = Number(process.argv[2] ?? 5);
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
  writeTinyModelSync(path.join(WORK, "models/bench.gguf"), { seed: 5, shape: { embedding: 512, layers: 4, heads: 8, feedForward: 1536 } });
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
  const stdout = execFileSync(process.execPath, [CLI, "build", "--force", "--no-cache", "--json", "--threads", String(THREADS)], {
    cwd: WORK,
    encoding: "utf8",
  });
  const wallMs = performance.now() - started;
  const report = JSON.parse(stdout) as { ok: boolean; prompts: Array<{ outcome: string; usage: { completionTokens: number }; durationMs: number; error: unknown }> };
  const [p] = report.prompts;
  if (!report.ok || p?.outcome !== "built") throw new Error(`pc build failed: ${JSON.stringify(p?.error ?? report)}`);
  const text = readFileSync(path.join(WORK, "generated/bench.txt"), "utf8");
  return { tokens: p.usage.completionTokens, ms: p.durationMs, text, wallMs };
}

async function directRunner() {
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
    ...messages.map((m): ChatHistoryItem => (m.role === "system" ? { type: "system", text: m.content } : { type: "user", text: m.content })),
    { type: "model", response: [] },
  ];
  return {
    async run(): Promise<Sample> {
      await sequence.clearHistory();
      const before = sequence.tokenMeter.usedOutputTokens;
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
      chat.dispose();
      if (response.metadata.stopReason === "maxTokens") throw new Error("the direct generation hit max_tokens; pick another seed");
      return { tokens: sequence.tokenMeter.usedOutputTokens - before, ms, text: response.response };
    },
    dispose: () => llama.dispose(),
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const rate = (s: Sample) => (s.tokens * 1000) / s.ms;

setUp();
const direct = await directRunner();
const pcSamples: Array<Sample & { wallMs: number }> = [];
const directSamples: Sample[] = [];
await direct.run(); // warm-up: page cache and CPU caches for both sides
for (let i = 0; i < RUNS; i++) {
  directSamples.push(await direct.run());
  pcSamples.push(pcRun());
}
await direct.dispose();

for (const [p, d] of pcSamples.map((p, i) => [p, directSamples[i]!] as const)) {
  if (p.text !== `${d.text}\n` || p.tokens !== d.tokens) throw new Error("pc and node-llama-cpp generated different tokens: the comparison is void");
}
const pcRate = median(pcSamples.map(rate));
const directRate = median(directSamples.map(rate));
const modelMb = (statSync(path.join(WORK, "models/bench.gguf")).size / 1e6).toFixed(0);

console.log(`Embedded engine: ${modelMb} MB llama GGUF (512 wide, 4 layers, F32), ${THREADS} thread, ${pcSamples[0]!.tokens} tokens per generation, ${RUNS} runs, medians\n`);
console.log("| side | tokens/s (median) | generation ms (median) | pc wall ms per build (median) |");
console.log("|---|---:|---:|---:|");
console.log(`| node-llama-cpp direct | ${directRate.toFixed(1)} | ${median(directSamples.map((s) => s.ms)).toFixed(0)} | |`);
console.log(`| pc build | ${pcRate.toFixed(1)} | ${median(pcSamples.map((s) => s.ms)).toFixed(0)} | ${median(pcSamples.map((s) => s.wallMs)).toFixed(0)} |`);
console.log(`\npc / direct tokens per second: ${(pcRate / directRate).toFixed(3)} (target >= 0.95)`);
