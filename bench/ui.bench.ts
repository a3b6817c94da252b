/// <reference lib="dom" />
// Times `pc ui` (the built binary) on a built project of 1,000 prompts in headless Chromium:
// from asking for the page to its list of 1,000 prompts shown (the rows on screen drawn, the count
// of all) and answering input (the search box filtering it down to one row), for the first page
// opened after `pc ui` starts and for one opened again. Run: npx tsx bench/ui.bench.ts [--prompts N] (PC_BENCH_RUNS sets the rounds, default 7).
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import type { Page } from "playwright-core";
import { browserMissing, launchBrowser } from "../test/support/browser.js";
import { generateProject } from "./gen-project.js";
import { CLI, NODE_FLOOR, ensureDist, markdownTable, median, ms, runsFromEnv, timeOnce, verdict } from "./harness.js";

const { values } = parseArgs({ options: { prompts: { type: "string", default: "1000" } } });
const PROMPTS = Number(values.prompts);
const RUNS = runsFromEnv(7);
const TARGET_MS = 1000;

const missing = browserMissing();
if (missing) {
  process.stderr.write(`bench: ui skipped: ${missing}\n`);
  process.stdout.write(`### pc ui\n\nskipped: ${missing}\n`);
  process.exit(0);
}
ensureDist();
const project = await generateProject(PROMPTS);
const browser = await launchBrowser();

interface Opening {
  /** Page asked for -> the list shown (in the page's clock, from the start of the navigation). */
  drawn: number;
  /** Page asked for -> the search typed and the list filtered to its one row. */
  interactive: number;
}

/** Opens the page, waits for every row, then types a search and waits for the one row it leaves. */
async function open(page: Page, url: string): Promise<Opening> {
  const started = performance.now();
  await page.goto(url, { waitUntil: "commit" });
  await page.waitForFunction(
    (n) => document.querySelector("tr[data-prompt]") && document.body.textContent!.includes(`${n} prompts.`),
    PROMPTS,
    { polling: "raf", timeout: 60_000 },
  );
  const drawn = await page.evaluate(() => performance.now());
  const last = project.promptPath(PROMPTS - 1);
  await page.getByRole("searchbox").fill(path.basename(last, ".md"));
  await page.waitForFunction(
    (p) => {
      const rows = document.querySelectorAll("tr[data-prompt]");
      return rows.length === 1 && rows[0]!.getAttribute("data-prompt") === p;
    },
    last,
    { polling: "raf", timeout: 60_000 },
  );
  return { drawn, interactive: performance.now() - started };
}

function startUi(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [CLI, "ui", "--no-open", "--port", "0"], {
    cwd: project.root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (out.includes("\n")) resolve({ child, url: out.split("\n")[0]! });
    });
    child.on("exit", (code) => reject(new Error(`pc ui exited (${code}) before printing its URL`)));
  });
}

const first: Opening[] = [];
const again: Opening[] = [];
/** `node -e 0` in each round: how loaded the machine was while the pages were timed. */
const floor: number[] = [];
try {
  for (let round = 0; round <= RUNS; round++) {
    const { child, url } = await startUi();
    try {
      const page = await browser.context.newPage();
      const a = await open(page, url);
      await page.close();
      const page2 = await browser.context.newPage();
      const b = await open(page2, url);
      await page2.close();
      const idle = await timeOnce(NODE_FLOOR);
      if (round > 0) (first.push(a), again.push(b), floor.push(idle)); // round 0 warms the disk cache and the browser
      process.stderr.write(`bench: ui round ${round}: first ${ms(a.interactive)}, again ${ms(b.interactive)}\n`);
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }
} finally {
  await browser.close();
}

const row = (name: string, runs: Opening[]) => {
  const interactive = median(runs.map((r) => r.interactive));
  return [name, ms(median(runs.map((r) => r.drawn))), ms(interactive), verdict(interactive <= TARGET_MS)];
};
process.stdout.write(
  `### pc ui: ${PROMPTS} prompts in headless Chromium (median of ${RUNS}; target: interactive within ${TARGET_MS} ms)\n\n`,
);
process.stdout.write(`\`node -e 0\` took ${ms(median(floor))} (median) in the same rounds.\n\n`);
process.stdout.write(
  `${markdownTable(["page", "list shown", "search answered (interactive)", "target"], [row("first page after pc ui starts", first), row("page opened again", again)])}\n`,
);
