/**
 * pc's overhead per request against the real llama-server (../shared/tools/llama-server): a build of
 * N prompts (`build({ force: true })`, in process, -j 1: load, render, request, extract, write, record)
 * against the same N requests sent directly with fetch (the body pc sends, the stream read to its end),
 * in the same run, rounds interleaved. A tiny model (1 thread) keeps generation short, so pc's own work
 * is as large a share as it can be: the ratio is an upper bound for real models.
 *
 *   npm run build && npx tsx bench/llama-server.bench.ts [rounds]   (default 7)
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "../src/commands/build.js";
import { render } from "../src/commands/render.js";
import { requestBody } from "../src/engine/openai.js";
import { samplerFrom } from "../src/engine/samplers.js";
import { llamaServerMissing, startLlamaServer } from "../test/support/llama-server.js";
import { CHATML_TEMPLATE, writeTinyModelSync } from "../test/support/tiny-gguf.js";

const ROUNDS = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 7);
const REPO = fileURLToPath(new URL("..", import.meta.url));
const WORK = path.join(REPO, "bench/.work/llama-server");
const PROMPTS = 20;
const MAX_TOKENS = 64;

function setUp(): void {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(path.join(WORK, "models"), { recursive: true });
  mkdirSync(path.join(WORK, "prompts"));
  writeTinyModelSync(path.join(WORK, "models/m.gguf"), { asciiOnly: true, chatTemplate: CHATML_TEMPLATE });
  for (let i = 1; i <= PROMPTS; i++) {
    // Every answer ends at the model's end token or at the cap: pc's requests and the direct ones are the same.
    const pins = [
      "version: 1",
      "model: m",
      `seed: ${i}`,
      "temperature: 0",
      `max_tokens: ${MAX_TOKENS}`,
      "extract: raw",
      "format: false",
      `output: out/p${i}.txt`,
    ];
    writeFileSync(
      path.join(WORK, `prompts/p${i}.md`),
      ["---", ...pins, "---", `Write file number ${i}.`, ""].join("\n"),
    );
  }
}

/** The request bodies pc sends for the prompts, with the token cap the direct side uses too. */
async function bodies(): Promise<unknown[]> {
  const out: unknown[] = [];
  for (let i = 1; i <= PROMPTS; i++) {
    const { messages } = await render({ cwd: WORK, prompt: `prompts/p${i}.md` });
    out.push(
      requestBody(
        {
          prompt: `prompts/p${i}.md`,
          model: "m",
          messages,
          seed: i,
          temperature: 0,
          sampler: samplerFrom({}),
          maxTokens: MAX_TOKENS,
        },
        "llama-server",
      ),
    );
  }
  return out;
}

async function direct(baseURL: string, all: unknown[]): Promise<number> {
  const started = performance.now();
  for (const body of all) {
    const response = await fetch(`${baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await response.text();
  }
  return performance.now() - started;
}

async function viaPc(baseURL: string): Promise<number> {
  const started = performance.now();
  const report = await build({ cwd: WORK, baseUrl: baseURL, force: true, jobs: 1 });
  const ms = performance.now() - started;
  // An answer cut at the cap is a failed prompt, but its request went out and came back like the others.
  if (report.prompts.some((p) => p.error && p.error.code !== "PC_ANSWER_TRUNCATED"))
    throw new Error(report.prompts.find((p) => p.error)!.error!.message);
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const missing = llamaServerMissing();
  if (missing) {
    process.stdout.write(`llama-server benchmark skipped: ${missing}\n`);
    return;
  }
  setUp();
  const server = await startLlamaServer({ model: path.join(WORK, "models/m.gguf") });
  try {
    const all = await bodies();
    await direct(server.baseURL, all); // warm-up: the server's first requests, node's HTTP client
    await viaPc(server.baseURL);
    const pcMs: number[] = [];
    const directMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      directMs.push(await direct(server.baseURL, all));
      pcMs.push(await viaPc(server.baseURL));
    }
    const perPc = median(pcMs) / PROMPTS;
    const perDirect = median(directMs) / PROMPTS;
    const ratios = pcMs.map((ms, i) => ms / directMs[i]!);
    process.stdout.write(
      [
        `## pc vs direct requests against the real llama-server (\`bench/llama-server.bench.ts\`)`,
        "",
        `${PROMPTS} prompts, tiny model (1 thread), temperature 0, ${MAX_TOKENS} tokens per answer, -j 1, ${ROUNDS} rounds interleaved.`,
        "",
        "| side | ms per request (median) |",
        "|---|---:|",
        `| direct fetch, stream read to the end | ${perDirect.toFixed(1)} |`,
        `| pc build --force (render, request, extract, write, record) | ${perPc.toFixed(1)} |`,
        "",
        "| pc / direct | value |",
        "|---|---:|",
        `| ratio of medians | ${(perPc / perDirect).toFixed(2)} |`,
        `| median of paired ratios | ${median(ratios).toFixed(2)} |`,
        `| pc's own time per request (median difference) | ${(perPc - perDirect).toFixed(1)} ms |`,
        "",
      ].join("\n"),
    );
  } finally {
    await server.stop();
  }
}

await main();
