/**
 * The same measurements for two versions of pc, interleaved in one run: the built `pc` of a git
 * revision (the "before") and this checkout's dist/ (the "after"). On a shared machine the absolute
 * times of two separate runs cannot be compared; runs interleaved round by round see the same load,
 * so the ratio after/before is what a change costs or saves.
 *
 *   npx tsx bench/compare-ref.ts <revision> [--runs N]      (npm run bench:compare -- <revision>)
 *
 * Measured: no-op `pc build` and `pc check` on 1,000 prompts, a cache restore of 100 prompts, the
 * time from starting `pc build` after editing one prompt of 1,000 until its request arrives, and
 * `pc watch` from a save to the request. The revision is checked out under bench/.work/ref-<sha>
 * and built there once, with this checkout's node_modules.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { defaultAnswer, startTestServer } from "../test/support/openai-server.js";
import { BENCH_MODEL, generateProject } from "./gen-project.js";
import { CLI, REPO, WORK, ensureDist, markdownTable, median, ms, timeOnce, type Case } from "./harness.js";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: "string", default: "11" } },
});
if (positionals.length !== 1) {
  process.stderr.write("usage: npx tsx bench/compare-ref.ts <revision> [--runs N]\n");
  process.exit(2);
}
const RUNS = Number(values.runs);
const WARMUP = 2;

/** Checks the revision out beside the benchmarks' projects and builds its dist/ once. */
function buildRevision(revision: string): { sha: string; cli: string } {
  const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO, encoding: "utf8" }).trim();
  const sha = git("rev-parse", "--verify", `${revision}^{commit}`);
  const dir = path.join(WORK, `ref-${sha.slice(0, 12)}`);
  const cli = path.join(dir, "dist", "cli.js");
  if (existsSync(cli)) return { sha, cli };
  rmSync(dir, { recursive: true, force: true });
  git("worktree", "prune");
  git("worktree", "add", "--detach", dir, sha);
  symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"));
  process.stderr.write(`bench: building ${sha.slice(0, 12)} in ${path.relative(REPO, dir)} ...\n`);
  const node = (...args: string[]) => execFileSync(process.execPath, args, { cwd: dir, stdio: "inherit" });
  node(path.join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json");
  node("scripts/compile-schemas.mjs");
  if (existsSync(path.join(dir, "scripts", "bundle-vendor.mjs"))) node("scripts/bundle-vendor.mjs");
  return { sha, cli };
}

interface Side {
  name: string;
  cli: string;
}

type Samples = Record<string, number[]>;

function push(samples: Samples, key: string, value: number): void {
  (samples[key] ??= []).push(value);
}

/** Runs `measure` for both sides, round by round, alternating which side goes first. */
async function interleave(sides: Side[], measure: (side: Side) => Promise<number>): Promise<Samples> {
  const samples: Samples = {};
  for (let round = 0; round < WARMUP + RUNS; round++) {
    const order = round % 2 ? [...sides].reverse() : sides;
    for (const side of order) {
      const value = await measure(side);
      if (round >= WARMUP) push(samples, side.name, value);
    }
  }
  return samples;
}

const run = (side: Side, args: string[], cwd: string): Case => ({ name: side.name, args: [side.cli, ...args], cwd });

/** No-op `pc build` / `pc check` on 1,000 prompts. */
async function noop(sides: Side[], command: "build" | "check"): Promise<Samples> {
  const project = await generateProject(1000);
  return interleave(sides, (side) => timeOnce(run(side, [command], project.root)));
}

/** 100 prompts flipped between two versions built before: every build restores all of them. */
async function restore(sides: Side[], baseURL: string): Promise<Samples> {
  const root = path.join(WORK, "compare-restore");
  rmSync(root, { recursive: true, force: true });
  mkdirSync(path.join(root, "prompts"), { recursive: true });
  writeFileSync(path.join(root, "notes.txt"), "Shared notes every prompt reads.\n");
  const variant = (v: string) => {
    for (let i = 0; i < 100; i++)
      writeFileSync(
        path.join(root, `prompts/p${i}.md`),
        `---\nversion: 1\nmodel: ${BENCH_MODEL}\nseed: 42\ntemperature: 0\noutput: generated/p${i}.py\ncontext: [notes.txt]\n---\nPrint ${i}, variant ${v}.\n`,
      );
  };
  const build = (side: Side) => timeOnce(run(side, ["build", "--base-url", baseURL], root));
  variant("a");
  await build(sides[1]!);
  variant("b");
  await build(sides[1]!);
  let current = "b";
  return interleave(sides, (side) => {
    variant((current = current === "a" ? "b" : "a"));
    return build(side);
  });
}

/** Start of `pc build` after editing one prompt of 1,000 until its request reaches the server. */
async function editOne(sides: Side[], server: Awaited<ReturnType<typeof startServer>>): Promise<Samples> {
  const project = await generateProject(1000, path.join(WORK, "compare-edit"));
  const edited = path.join(project.root, project.promptPath(500));
  const lockFile = path.join(project.root, "promptfile.lock");
  const pristine = { prompt: readFileSync(edited, "utf8"), lock: readFileSync(lockFile, "utf8") };
  const output = path.join(
    project.root,
    Object.keys(JSON.parse(pristine.lock).prompts[project.promptPath(500)].outputs)[0]!,
  );
  const pristineOutput = readFileSync(output, "utf8");
  const reset = () => {
    writeFileSync(edited, pristine.prompt);
    writeFileSync(lockFile, pristine.lock);
    writeFileSync(output, pristineOutput);
    rmSync(path.join(project.root, ".pc", "generations"), { recursive: true, force: true });
  };
  let revision = 0;
  try {
    return await interleave(sides, async (side) => {
      reset();
      writeFileSync(edited, `${pristine.prompt}Revision ${++revision}.\n`);
      const reached = server.nextRequest();
      const started = performance.now();
      const exit = timeOnce(run(side, ["build", "--base-url", server.baseURL], project.root));
      const at = await Promise.race([reached, exit.then(() => Promise.reject(new Error("no request was sent")))]);
      await exit;
      return at - started;
    });
  } finally {
    reset();
  }
}

/** `pc watch` on 20 prompts: a save until its request arrives; one watcher per side, saves alternate. */
async function watch(sides: Side[], server: Awaited<ReturnType<typeof startServer>>): Promise<Samples> {
  const root = path.join(WORK, "compare-watch");
  const samples: Samples = {};
  let version = 0;
  const promptText = (i: number) =>
    `---\nversion: 1\nmodel: ${BENCH_MODEL}\nseed: 42\ntemperature: 0\noutput: generated/p${i}.py\n---\nPrint ${i} (version ${++version}).\n`;
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const side of round % 2 ? [...sides].reverse() : sides) {
      rmSync(root, { recursive: true, force: true });
      mkdirSync(path.join(root, "prompts"), { recursive: true });
      for (let i = 0; i < 20; i++) writeFileSync(path.join(root, `prompts/p${i}.md`), promptText(i));
      const child = spawn(process.execPath, [side.cli, "watch", "--json", "--base-url", server.baseURL], {
        cwd: root,
        stdio: ["ignore", "pipe", "inherit"],
      });
      const idle = () =>
        new Promise<void>((resolve) => {
          const listen = (data: Buffer) => {
            if (data.toString().includes('"event":"idle"')) {
              child.stdout.off("data", listen);
              resolve();
            }
          };
          child.stdout.on("data", listen);
        });
      try {
        await idle();
        const request = server.nextRequest();
        const settled = idle();
        const started = performance.now();
        writeFileSync(path.join(root, "prompts/p7.md"), promptText(7));
        const at = await request;
        await settled;
        if (round >= WARMUP) push(samples, side.name, at - started);
      } finally {
        child.kill("SIGINT");
        await new Promise((resolve) => child.on("close", resolve));
      }
    }
  }
  return samples;
}

async function startServer() {
  let waiting: ((at: number) => void) | undefined;
  const server = await startTestServer({
    models: [BENCH_MODEL],
    answer: (body) => {
      waiting?.(performance.now());
      waiting = undefined;
      return defaultAnswer(body);
    },
  });
  return {
    baseURL: server.baseURL,
    close: () => server.close(),
    nextRequest: () => new Promise<number>((resolve) => (waiting = resolve)),
  };
}

ensureDist();
const before = buildRevision(positionals[0]!);
const sides: Side[] = [
  { name: "before", cli: before.cli },
  { name: "after", cli: CLI },
];
const server = await startServer();
const results: [string, Samples][] = [];
try {
  process.stderr.write("bench: no-op build ...\n");
  results.push(["no-op `pc build`, 1,000 prompts", await noop(sides, "build")]);
  process.stderr.write("bench: no-op check ...\n");
  results.push(["no-op `pc check`, 1,000 prompts", await noop(sides, "check")]);
  process.stderr.write("bench: restore ...\n");
  results.push(["cache restore of 100 prompts (`pc build`)", await restore(sides, server.baseURL)]);
  process.stderr.write("bench: edit one ...\n");
  results.push(["edit one of 1,000: start to request", await editOne(sides, server)]);
  process.stderr.write("bench: watch ...\n");
  results.push(["`pc watch`: save to request", await watch(sides, server)]);
} finally {
  await server.close();
}

const describe = (ref: string) =>
  execFileSync("git", ["log", "-1", "--format=%h %s", ref], { cwd: REPO, encoding: "utf8" }).trim().slice(0, 90);
process.stdout.write(
  `### ${describe(before.sha)} (before) vs this checkout (after), interleaved, median of ${RUNS} runs each\n\n`,
);
process.stdout.write(
  `${markdownTable(
    ["measure", "before", "after", "after / before"],
    results.map(([name, samples]) => {
      const b = median(samples.before!);
      const a = median(samples.after!);
      return [name, ms(b), ms(a), `${(a / b).toFixed(3)}`];
    }),
  )}\n`,
);
