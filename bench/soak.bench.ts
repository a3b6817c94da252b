// Soak: 500 prompts built by the `pc` binary against the test server, with 10% of requests failing
// at random (HTTP 429/500/502/503, cut streams, SSE error events, bad JSON, resets, stalls) and the
// build interrupted at random (SIGINT, a double SIGINT, SIGTERM). After every round the lock must be
// valid and no temp file may exist; after a final clean build every output must match the lock.
// Not part of the test suite. Run: npx tsx bench/soak.bench.ts [--prompts 500] [--rounds 16] [--seed 7]
import { spawn, execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseLock } from "../src/lock/lockfile.js";
import { seededRandom, type Fault } from "../test/support/faults.js";
import { startTestServer } from "../test/support/openai-server.js";

const { values } = parseArgs({
  options: {
    prompts: { type: "string", default: "500" },
    rounds: { type: "string", default: "16" },
    seed: { type: "string", default: "7" },
    jobs: { type: "string", default: "4" },
  },
});
const PROMPTS = Number(values.prompts);
const ROUNDS = Number(values.rounds);
const JOBS = values.jobs;
const random = seededRandom(Number(values.seed));

const repo = fileURLToPath(new URL("..", import.meta.url));
const cli = path.join(repo, "dist/cli.js");
const work = path.join(repo, "bench/.work/soak");
const TEMP = /\.pc-[0-9a-f]{12}\.tmp$/;

const FAULTS: Fault[] = [
  { status: 429, retryAfter: 0 },
  { status: 500 },
  { status: 502 },
  { status: 503 },
  { kind: "cut" },
  { kind: "sse-error" },
  { kind: "bad-json" },
  { kind: "reset" },
  { kind: "stall", afterChunks: 2 },
];

/** 500 prompts sharing a partial; every 25th reads the previous prompt's output (a dependency). */
async function makeProject(): Promise<void> {
  await rm(work, { recursive: true, force: true });
  await mkdir(path.join(work, "prompts"), { recursive: true });
  await writeFile(path.join(work, "prompts/_style.md"), "Use only the standard library.\n");
  for (let i = 0; i < PROMPTS; i++) {
    const name = `p${String(i).padStart(3, "0")}`;
    const context = i % 25 === 24 ? `context: [generated/p${String(i - 1).padStart(3, "0")}.py]\n` : "";
    const prompt = `---\nversion: 1\nmodel: soak-model\nseed: ${i}\ntemperature: 0\noutput: generated/${name}.py\n${context}---\nWrite script number ${i}.\n<%~ include("_style") %>\n`;
    await writeFile(path.join(work, "prompts", `${name}.md`), prompt);
  }
}

async function allFiles(dir: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
    const p = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await allFiles(dir, p)));
    else out.push(p);
  }
  return out;
}

interface Round {
  round: string;
  signal: string;
  afterMs: number;
  exit: number | null;
  ms: number;
  recorded: number;
  requests: number;
  faults: number;
  retries: number;
  temps: number;
  lockValid: boolean;
}

function runPc(baseURL: string, interrupt?: { signal: "SIGINT" | "SIGTERM"; twice: boolean; afterMs: number }) {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [cli, "build", "-j", JOBS, "--retries", "2", "--timeout", "1", "--base-url", baseURL],
    {
      cwd: work,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  if (interrupt) {
    setTimeout(() => {
      child.kill(interrupt.signal);
      if (interrupt.twice) setTimeout(() => child.kill("SIGINT"), 20);
    }, interrupt.afterMs);
  }
  return new Promise<{ code: number | null; stderr: string; ms: number }>((resolve) =>
    child.on("close", (code) => resolve({ code, stderr, ms: performance.now() - started })),
  );
}

async function inspect(): Promise<{
  recorded: number;
  temps: number;
  lockValid: boolean;
  mismatches: number;
  lockPrompts: Record<string, { outputs: Record<string, string> }>;
}> {
  const files = await allFiles(work);
  const temps = files.filter((f) => TEMP.test(f)).length;
  let lockPrompts: Record<string, { outputs: Record<string, string> }> = {};
  let lockValid = true;
  try {
    lockPrompts = parseLock(await readFile(path.join(work, "promptfile.lock"), "utf8")).prompts;
  } catch (error) {
    lockValid = (error as NodeJS.ErrnoException).code === "ENOENT";
  }
  let mismatches = 0;
  for (const entry of Object.values(lockPrompts)) {
    for (const [file, hash] of Object.entries(entry.outputs)) {
      const bytes = await readFile(path.join(work, file)).catch(() => undefined);
      if (!bytes || `sha256:${createHash("sha256").update(bytes).digest("hex")}` !== hash) mismatches++;
    }
  }
  return { recorded: Object.keys(lockPrompts).length, temps, lockValid, mismatches, lockPrompts };
}

execFileSync(process.execPath, [path.join(repo, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], {
  cwd: repo,
  stdio: "inherit",
});
await makeProject();
const faulty = await startTestServer({
  faultRate: 0.1,
  faultSeed: Number(values.seed),
  randomFaults: FAULTS,
  tokenDelayMs: 2,
});
const clean = await startTestServer();
const rounds: Round[] = [];
let problems = 0;
const soakStarted = performance.now();

for (let r = 1; r <= ROUNDS + 1; r++) {
  const last = r > ROUNDS;
  const roll = random();
  const interrupt = last
    ? undefined
    : {
        signal: roll < 0.2 ? ("SIGTERM" as const) : ("SIGINT" as const),
        twice: roll > 0.8,
        afterMs: Math.round(800 + random() * 3200),
      };
  const before = faulty.chatRequests().length;
  const run = await runPc(faulty.baseURL, interrupt);
  const chats = faulty.chatRequests().slice(before);
  const state = await inspect();
  if (state.temps || !state.lockValid || state.mismatches) problems++;
  rounds.push({
    round: last ? `${r} (no signal)` : String(r),
    signal: interrupt ? `${interrupt.twice ? "2× SIGINT" : interrupt.signal}` : "-",
    afterMs: interrupt?.afterMs ?? 0,
    exit: run.code,
    ms: run.ms,
    recorded: state.recorded,
    requests: chats.length,
    faults: chats.filter((c) => c.fault).length,
    retries: (run.stderr.match(/retrying /g) ?? []).length,
    temps: state.temps,
    lockValid: state.lockValid && state.mismatches === 0,
  });
}

// The final clean build: whatever the faulty rounds left undone.
const before = clean.chatRequests().length;
const final = await runPc(clean.baseURL);
const state = await inspect();
const check = await new Promise<number | null>((resolve) =>
  spawn(process.execPath, [cli, "check"], { cwd: work, stdio: "ignore" }).on("close", (code) => resolve(code)),
);
const totalMs = performance.now() - soakStarted;
await faulty.close();
await clean.close();

const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
console.log(
  `\n## Soak: ${PROMPTS} prompts, 10% faulty requests, random interrupts (seed ${values.seed}, -j ${JOBS}, --retries 2, --timeout 1)\n`,
);
console.log(
  "| round | signal | sent after | exit | wall | prompts in lock | requests | faults injected | retries | temp files | lock valid, outputs match |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rounds) {
  console.log(
    `| ${r.round} | ${r.signal} | ${r.afterMs ? `${r.afterMs} ms` : "-"} | ${r.exit} | ${fmt(r.ms)} | ${r.recorded} | ${r.requests} | ${r.faults} | ${r.retries} | ${r.temps} | ${r.lockValid ? "yes" : "NO"} |`,
  );
}
console.log(
  `| final (clean server) | - | - | ${final.code} | ${fmt(final.ms)} | ${state.recorded} | ${clean.chatRequests().length - before} | 0 | 0 | ${state.temps} | ${state.lockValid && state.mismatches === 0 ? "yes" : "NO"} |`,
);
const allRequests = rounds.reduce((n, r) => n + r.requests, 0);
const allFaults = rounds.reduce((n, r) => n + r.faults, 0);
console.log(
  `\nTotals: ${allRequests} requests to the faulty server, ${allFaults} faults injected (${((allFaults / allRequests) * 100).toFixed(1)}%), ${rounds.reduce((n, r) => n + r.retries, 0)} retries, ${rounds.filter((r) => r.exit === 130).length} of ${ROUNDS} interrupted rounds exited 130.`,
);
console.log(
  `Final: ${state.recorded}/${PROMPTS} prompts in the lock, ${state.mismatches} outputs differing from the lock, ${state.temps} temp files, \`pc check\` exit ${check}; soak took ${fmt(totalMs)}.`,
);
const ok =
  problems === 0 &&
  final.code === 0 &&
  check === 0 &&
  state.recorded === PROMPTS &&
  state.mismatches === 0 &&
  state.temps === 0;
console.log(ok ? "\nRESULT: pass" : "\nRESULT: FAIL");
process.exitCode = ok ? 0 : 1;
