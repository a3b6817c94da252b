/**
 * No-op `pc build` and `pc check` on built projects of 100, 1,000 and 10,000 prompts (2 KB bodies,
 * one context file each), against `node -e 0` measured alongside each size. Targets: at most
 * 2.5x the floor at 1,000 prompts and 15x at 10,000; the cost above the floor must grow linearly
 * (or better) with the number of prompts.
 *
 *   npx tsx bench/noop.bench.ts [sizes...]      (default: 100 1000 10000)
 */
import { generateProject } from "./gen-project.js";
import { NODE_FLOOR, compare, ensureDist, markdownTable, ms, pc, ratio, runsFromEnv, verdict } from "./harness.js";

const TARGETS: Record<number, number> = { 1000: 2.5, 10000: 15 };
const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);

ensureDist();
const rows: string[][] = [];
const overhead = new Map<string, number>();
for (const size of sizes.length ? sizes : [100, 1000, 10000]) {
  const project = await generateProject(size);
  const cases = [NODE_FLOOR, pc(`pc build`, ["build"], project.root), pc(`pc check`, ["check"], project.root)];
  const timings = await compare(cases, {
    runs: runsFromEnv(size >= 10000 ? 5 : size >= 1000 ? 15 : 10),
    warmup: size >= 10000 ? 1 : 2,
  });
  const floor = timings.get(NODE_FLOOR.name)!.median;
  rows.push([size.toLocaleString("en-US"), NODE_FLOOR.name, ms(floor), "1.00x", "", "", ""]);
  for (const c of cases.slice(1)) {
    const t = timings.get(c.name)!;
    const r = t.median / floor;
    const above = t.median - floor;
    const previous = overhead.get(c.name);
    overhead.set(c.name, above);
    const target = TARGETS[size];
    rows.push([
      size.toLocaleString("en-US"),
      `\`${c.name}\``,
      ms(t.median),
      ratio(r),
      previous ? `${(above / previous).toFixed(1)}x` : "",
      target ? `<= ${target}x` : "",
      target ? verdict(r <= target) : "",
    ]);
  }
}
process.stdout.write("### No-op build and check (every prompt fresh)\n\n");
process.stdout.write(
  `${markdownTable(["prompts", "command", "median", "vs node -e 0", "growth above the floor (10x prompts)", "target", ""], rows)}\n`,
);
process.stdout.write(
  "\nGrowth is (median - floor) divided by the same at the previous size: 10x or less is linear or better.\n",
);
