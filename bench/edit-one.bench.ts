/**
 * Editing one prompt among 1,000: time from starting `pc build` until its request reaches the
 * test server, against the whole no-op build of the same project. Target: within 50 ms of the
 * no-op time (the plan of one changed prompt costs next to nothing more than "nothing to do").
 *
 *   npx tsx bench/edit-one.bench.ts [prompts]      (default: 1000)
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { defaultAnswer, startTestServer } from "../test/support/openai-server.js";
import { BENCH_MODEL, generateProject } from "./gen-project.js";
import {
  NODE_FLOOR,
  WORK,
  ensureDist,
  markdownTable,
  median,
  ms,
  pc,
  runsFromEnv,
  timeOnce,
  verdict,
} from "./harness.js";

const TARGET_MS = 50;
const size = Number(process.argv[2] ?? 1000);

ensureDist();
// A copy of its own: this bench edits prompts and rebuilds them.
const project = await generateProject(size, path.join(WORK, `edit-${size}`));
const root = project.root;
const edited = project.promptPath(Math.floor(size / 2));
const lockFile = path.join(root, "promptfile.lock");
const pristine = { prompt: readFileSync(path.join(root, edited), "utf8"), lock: readFileSync(lockFile, "utf8") };
const output = Object.keys(JSON.parse(pristine.lock).prompts[edited].outputs)[0]!;
const pristineOutput = readFileSync(path.join(root, output), "utf8");

let arrived: ((at: number) => void) | undefined;
const server = await startTestServer({
  models: [BENCH_MODEL],
  answer: (body) => {
    arrived?.(performance.now());
    return defaultAnswer(body);
  },
});
const args = ["build", "--base-url", server.baseURL];

function restore(): void {
  writeFileSync(path.join(root, edited), pristine.prompt);
  writeFileSync(path.join(root, output), pristineOutput);
  writeFileSync(lockFile, pristine.lock);
  // No earlier generation to restore: every edit below is a cache miss that reaches the server.
  rmSync(path.join(root, ".pc", "generations"), { recursive: true, force: true });
}

/** Milliseconds from spawning `pc build` after an edit until the request arrives; the build then finishes. */
async function editRun(revision: number): Promise<{ toRequest: number; total: number }> {
  restore();
  writeFileSync(path.join(root, edited), `${pristine.prompt}Revision ${revision}: also print a summary line.\n`);
  const reached = new Promise<number>((resolve) => (arrived = resolve));
  const started = performance.now();
  const exit = timeOnce(pc("edit", args, root));
  const at = await Promise.race([
    reached,
    exit.then(() => Promise.reject(new Error("pc build exited without sending a request"))),
  ]);
  const total = await exit;
  arrived = undefined;
  return { toRequest: at - started, total };
}

const runs = runsFromEnv(10);
const warmup = 2;
const floor: number[] = [];
const noop: number[] = [];
const toRequest: number[] = [];
const total: number[] = [];
try {
  for (let round = 0; round < warmup + runs; round++) {
    const f = await timeOnce(NODE_FLOOR);
    restore();
    const n = await timeOnce(pc("noop", args, root));
    const e = await editRun(round);
    if (round < warmup) continue;
    floor.push(f);
    noop.push(n);
    toRequest.push(e.toRequest);
    total.push(e.total);
  }
} finally {
  restore();
  await server.close();
}
const delta = median(toRequest) - median(noop);
process.stdout.write(`### Edit one prompt among ${size.toLocaleString("en-US")} (median of ${runs} runs)\n\n`);
process.stdout.write(
  `${markdownTable(
    ["measure", "median", "target", ""],
    [
      ["node -e 0", ms(median(floor)), "", ""],
      ["no-op `pc build` (whole run)", ms(median(noop)), "", ""],
      ["edited: `pc build` start -> request at the server", ms(median(toRequest)), "", ""],
      ["difference (plan of one changed prompt)", ms(delta), `<= ${TARGET_MS} ms`, verdict(delta <= TARGET_MS)],
      ["edited: whole `pc build` (for reference)", ms(median(total)), "", ""],
    ],
  )}\n`,
);
