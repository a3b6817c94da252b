// Times `pc build` (the built binary) against the in-process test server with a fixed latency per
// request, for 64 independent prompts at -j 1 and -j 8, and compares each median with the ideal
// (requests x latency / jobs). Run: npx tsx bench/parallel.bench.ts [--runs N] [--latency MS]
import { execFile, execFileSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { fencedAnswer, startTestServer } from "../test/support/openai-server.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    latency: { type: "string", default: "250" },
    prompts: { type: "string", default: "64" },
    jobs: { type: "string", default: "1,8" },
  },
});
const RUNS = Number(values.runs);
const LATENCY_MS = Number(values.latency);
const PROMPTS = Number(values.prompts);
const JOBS = values.jobs.split(",").map(Number);

const repo = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(repo, "dist/cli.js");
const work = path.join(repo, "bench/.work/parallel");

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A fresh project of independent prompts (nothing built, no cache). */
async function freshProject(): Promise<string> {
  await rm(work, { recursive: true, force: true });
  await mkdir(path.join(work, "prompts"), { recursive: true });
  for (let i = 0; i < PROMPTS; i++) {
    const name = String(i).padStart(2, "0");
    const prompt = `---\nversion: 1\nmodel: bench-model\nseed: 42\ntemperature: 0\noutput: generated/p${name}.py\n---\nPrint ${i}.\n`;
    await writeFile(path.join(work, "prompts", `p${name}.md`), prompt);
  }
  return work;
}

interface Timing {
  /** Spawn to exit, ms. */
  wall: number;
  /** build()'s own duration from the --json report (planning included, process start not), ms. */
  build: number;
}

/** Runs `pc build --json ...args` and times it. */
function timePc(cwd: string, args: string[], baseURL: string): Promise<Timing> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const argv = [cli, "build", "--json", ...args];
    execFile(
      process.execPath,
      argv,
      { cwd, env: { ...process.env, PC_BASE_URL: baseURL, NO_COLOR: "1" } },
      (error, stdout, stderr) => {
        const wall = performance.now() - started;
        if (error) reject(new Error(`pc build ${args.join(" ")} failed: ${stderr}${stdout}`));
        else resolve({ wall, build: (JSON.parse(stdout) as { durationMs: number }).durationMs });
      },
    );
  });
}

const seconds = (ms: number) => (ms / 1000).toFixed(2);

// Always time the current sources.
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], {
  cwd: repo,
  stdio: "inherit",
});

// A few tokens per answer: the time is the latency, not the streaming.
const server = await startTestServer({
  latencyMs: LATENCY_MS,
  answer: (_body, index) => fencedAnswer(`print(${index})`, "python"),
});
const rows: string[][] = [];
try {
  // Fixed cost of one run: start node, load the project, find nothing to do.
  const noop: Timing[] = [];
  for (let run = 0; run < RUNS; run++) {
    const cwd = await freshProject();
    await timePc(cwd, ["-j", "8"], server.baseURL);
    noop.push(await timePc(cwd, [], server.baseURL));
  }
  server.reset();
  for (const jobs of JOBS) {
    const times: Timing[] = [];
    for (let run = 0; run < RUNS; run++) {
      const cwd = await freshProject();
      server.reset();
      times.push(await timePc(cwd, ["-j", String(jobs)], server.baseURL));
      const asked = server.chatRequests().length;
      if (asked !== PROMPTS) throw new Error(`expected ${PROMPTS} requests at -j ${jobs}, the server got ${asked}`);
      if (server.maxActive() > jobs) throw new Error(`-j ${jobs} ran ${server.maxActive()} requests at once`);
    }
    const ideal = (PROMPTS * LATENCY_MS) / jobs;
    const wall = median(times.map((t) => t.wall));
    const inBuild = median(times.map((t) => t.build));
    rows.push([
      `-j ${jobs}`,
      String(PROMPTS),
      seconds(ideal),
      seconds(wall),
      times.map((t) => seconds(t.wall)).join(", "),
      (ideal / wall).toFixed(3),
      seconds(inBuild),
      (ideal / inBuild).toFixed(3),
    ]);
  }
  const noopWall = median(noop.map((t) => t.wall));
  rows.push([
    "no-op",
    "0",
    "-",
    seconds(noopWall),
    noop.map((t) => seconds(t.wall)).join(", "),
    "-",
    seconds(median(noop.map((t) => t.build))),
    "-",
  ]);
} finally {
  await server.close();
  await rm(work, { recursive: true, force: true });
}

const cpus = os.cpus();
console.log(`## pc build -j: ${PROMPTS} prompts, ${LATENCY_MS} ms latency per request, ${RUNS} runs each\n`);
console.log(
  `Machine: ${cpus[0]?.model ?? "unknown CPU"} x ${cpus.length}, ${os.platform()} ${os.release()}, Node ${process.version}; load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")}\n`,
);
console.log(
  "| run | requests | ideal (s) | wall median (s) | wall, all runs (s) | ideal / wall | build() median (s) | ideal / build() |",
);
console.log("| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |");
for (const row of rows) console.log(`| ${row.join(" | ")} |`);
console.log(
  "\nIdeal = requests x latency / jobs. Wall: spawn of `pc build --json -j N` to exit. build(): the duration the report gives " +
    "(planning included, Node start and module loading not). The no-op row (a second build, nothing to do) is the fixed cost.",
);
