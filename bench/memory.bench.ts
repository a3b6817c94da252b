/**
 * Peak memory (maximum resident set size) of a no-op `pc build` and `pc check` on 10,000 prompts.
 * Target: under 300 MB. The peak is read from getrusage in the child itself (a preloaded module),
 * so no external tool such as /usr/bin/time is needed.
 *
 *   npx tsx bench/memory.bench.ts [prompts]      (default: 10000)
 */
import { readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { generateProject } from "./gen-project.js";
import {
  CLI,
  NODE_FLOOR,
  WORK,
  ensureDist,
  markdownTable,
  median,
  runsFromEnv,
  timeOnce,
  verdict,
  type Case,
} from "./harness.js";

const TARGET_MB = 300;
const size = Number(process.argv[2] ?? 10000);
const preload = new URL("./support/max-rss.mjs", import.meta.url).href;
const rssFile = path.join(WORK, "max-rss.txt");

/** Peak RSS of one run, in MB. */
async function peak(c: Case): Promise<number> {
  rmSync(rssFile, { force: true });
  await timeOnce({ ...c, args: ["--import", preload, ...c.args], env: { ...c.env, PC_BENCH_RSS_FILE: rssFile } });
  return Number(readFileSync(rssFile, "utf8")) / 1024;
}

ensureDist();
const project = await generateProject(size);
const cases: Case[] = [
  NODE_FLOOR,
  { name: "pc build", args: [CLI, "build"], cwd: project.root },
  { name: "pc check", args: [CLI, "check"], cwd: project.root },
];
const runs = runsFromEnv(3);
const rows: string[][] = [];
for (const c of cases) {
  const peaks: number[] = [];
  for (let i = 0; i < runs; i++) peaks.push(await peak(c));
  const mb = median(peaks);
  const measured = c !== NODE_FLOOR;
  rows.push([
    measured ? `\`${c.name}\`` : c.name,
    `${Math.round(mb)} MB`,
    measured ? `< ${TARGET_MB} MB` : "",
    measured ? verdict(mb < TARGET_MB) : "",
  ]);
}
process.stdout.write(`### Peak memory, no-op on ${size.toLocaleString("en-US")} prompts (median of ${runs} runs)\n\n`);
process.stdout.write(`${markdownTable(["command", "peak RSS", "target", ""], rows)}\n`);
