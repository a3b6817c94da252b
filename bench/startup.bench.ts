/**
 * Startup: `pc --help` and `pc --version` against `node -e 0` (target: at most 1.5x).
 * Heavy modules (openai, prettier, chokidar, node-llama-cpp, eta, ajv) must not load here.
 *
 *   npx tsx bench/startup.bench.ts
 */
import { NODE_FLOOR, compare, ensureDist, markdownTable, ms, pc, ratio, runsFromEnv, verdict } from "./harness.js";

const TARGET = 1.5;

ensureDist();
const cases = [NODE_FLOOR, pc("pc --help", ["--help"]), pc("pc --version", ["--version"])];
const timings = await compare(cases, { runs: runsFromEnv(20), warmup: 3 });
const floor = timings.get(NODE_FLOOR.name)!.median;
const rows = cases.map((c) => {
  const t = timings.get(c.name)!;
  const r = t.median / floor;
  return c === NODE_FLOOR
    ? [c.name, ms(t.median), "1.00x", "", ""]
    : [`\`${c.name}\``, ms(t.median), ratio(r), `<= ${TARGET}x`, verdict(r <= TARGET)];
});
process.stdout.write(`### Startup (median of ${timings.get(NODE_FLOOR.name)!.runs.length} runs)\n\n`);
process.stdout.write(`${markdownTable(["command", "median", "vs node -e 0", "target", ""], rows)}\n`);
