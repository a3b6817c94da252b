/**
 * Offline first build: `pc build` of a project whose prompt pins an `hf:` model that is not
 * downloaded, with the hub out of reach, from start to exit (target: within 5 s; node-llama-cpp's
 * own downloader retried for about 12 minutes). Also the first Ctrl-C while the hub does not
 * answer: from the signal to the exit.
 *
 *   npx tsx bench/offline.bench.ts
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  CLI,
  NODE_FLOOR,
  compare,
  ensureDist,
  markdownTable,
  median,
  ms,
  pc,
  runsFromEnv,
  verdict,
} from "./harness.js";

const TARGET_MS = 5000;
const PROMPT =
  "---\nversion: 1\nmodel: hf:someone/tiny-repo/tiny.gguf\nseed: 1\ntemperature: 0\noutput: generated/a.txt\n---\nSay hello.\n";

ensureDist();
const root = mkdtempSync(path.join(tmpdir(), "pc-bench-offline-"));
mkdirSync(path.join(root, "prompts"));
writeFileSync(path.join(root, "prompts/a.md"), PROMPT);

const listen = (server: net.Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port)),
  );
const closed = net.createServer();
const closedPort = await listen(closed);
await new Promise<void>((resolve) => closed.close(() => resolve()));
const resetting = net.createServer((socket) => socket.resetAndDestroy());
const silent = net.createServer(() => {}); // accepts, never answers
const [resetPort, silentPort] = [await listen(resetting), await listen(silent)];

const env = (endpoint: string) => ({ HOME: path.join(root, "home"), HF_ENDPOINT: endpoint, PC_BASE_URL: "" });
const build = (name: string, endpoint: string) => pc(name, ["build"], root, { env: env(endpoint), okCodes: [1] });
const cases = [
  NODE_FLOOR,
  build("connection refused", `http://127.0.0.1:${closedPort}/`),
  build("connection reset", `http://127.0.0.1:${resetPort}/`),
  build("name does not resolve (.invalid)", "http://hub.invalid/"),
];
const timings = await compare(cases, { runs: runsFromEnv(5), warmup: 1 });

/** Ctrl-C once `pc build` says it is connecting to a hub that never answers: milliseconds from the signal to the exit. */
function ctrlC(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "build"], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", ...env(`http://127.0.0.1:${silentPort}/`) },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    let signalled = 0;
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (!signalled && stderr.includes("connecting to")) {
        signalled = performance.now();
        child.kill("SIGINT");
      }
    });
    child.on("exit", (code) =>
      code === 130 && signalled ? resolve(performance.now() - signalled) : reject(new Error(`exit ${code}\n${stderr}`)),
    );
  });
}
const interrupts: number[] = [];
for (let i = 0; i < runsFromEnv(5); i++) interrupts.push(await ctrlC());

resetting.close();
silent.close();
rmSync(root, { recursive: true, force: true });

const rows = cases.map((c) => {
  const t = timings.get(c.name)!;
  return c === NODE_FLOOR
    ? [c.name, ms(t.median), ""]
    : [`hub unreachable: ${c.name}`, ms(t.median), `${verdict(t.median <= TARGET_MS)} (<= ${TARGET_MS / 1000} s)`];
});
rows.push(["first Ctrl-C while connecting: signal to exit", ms(median(interrupts)), ""]);
process.stdout.write(`### Offline first build (median of ${timings.get(NODE_FLOOR.name)!.runs.length} runs)\n\n`);
process.stdout.write(`${markdownTable(["pc build of an hf: model not downloaded", "median", "target"], rows)}\n`);
