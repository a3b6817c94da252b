// `model: hf:<user>/<repo>/<file>.gguf` against a local stand-in for Hugging Face (node-llama-cpp
// downloads from HF_ENDPOINT when it is set): the real download, the real tiny model run by the
// embedded engine, the download kept for later builds, and Ctrl-C during a download.
import { existsSync, readdirSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { tinyModelBytes } from "../support/tiny-gguf.js";
import { spawnPc, runPc } from "../support/pc.js";
import { removeProject, readLockJson } from "../support/project.js";
import { tinyProject } from "../support/tiny-project.js";

const REF = "hf:someone/tiny-repo/tiny.gguf";
const MODEL = tinyModelBytes({ seed: 1 });

/** Serves the tiny model at /someone/tiny-repo/resolve/main/tiny.gguf; `chunkDelayMs` slows it down. */
function fakeHub() {
  let chunkDelayMs = 0;
  let started = 0;
  let completed = 0;
  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith("/someone/tiny-repo/resolve/main/tiny.gguf")) return void res.writeHead(404).end();
    const range = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? "");
    const from = range ? Number(range[1]) : 0;
    const to = range?.[2] ? Number(range[2]) + 1 : MODEL.length;
    const body = MODEL.subarray(from, to);
    res.writeHead(range ? 206 : 200, {
      "content-length": body.length,
      "content-type": "application/octet-stream",
      "accept-ranges": "bytes",
      ...(range ? { "content-range": `bytes ${from}-${to - 1}/${MODEL.length}` } : {}),
    });
    if (req.method === "HEAD") return void res.end();
    started++;
    let sent = 0;
    const next = () => {
      if (res.destroyed) return;
      if (sent >= body.length) {
        completed++;
        return void res.end();
      }
      res.write(body.subarray(sent, sent + 8192));
      sent += 8192;
      if (chunkDelayMs) setTimeout(next, chunkDelayMs);
      else setImmediate(next);
    };
    next();
  });
  return {
    server,
    slow: (ms: number) => (chunkDelayMs = ms),
    counts: () => ({ started, completed }),
    url: () => `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
  };
}

const hub = fakeHub();
let root: string;

beforeAll(() => new Promise<void>((resolve) => hub.server.listen(0, "127.0.0.1", resolve)));
afterAll(
  () =>
    new Promise<void>((resolve) => {
      hub.server.closeAllConnections();
      hub.server.close(() => resolve());
    }),
);
afterEach(() => removeProject(root));

/** The project's own HOME (node-llama-cpp keeps downloads in ~/.node-llama-cpp/models) and the stand-in hub. */
const env = () => ({ HOME: path.join(root, "home"), HF_ENDPOINT: hub.url(), PC_BASE_URL: undefined });
const modelsDir = () => path.join(root, "home/.node-llama-cpp/models");

describe("an hf: model", () => {
  it("is downloaded once, run by the embedded engine, and kept for later builds", async () => {
    hub.slow(0);
    root = (
      await tinyProject({
        "a.md": { model: REF, output: "generated/a.txt" },
        "b.md": { model: REF, output: "generated/b.txt", body: "Say bye." },
      })
    ).root;
    const before = hub.counts().completed;
    const first = await runPc(["build", "prompts/a.md", "--json"], { cwd: root, env: env() });
    expect(first.code, first.stderr).toBe(0);
    expect(hub.counts().completed).toBeGreaterThan(before);
    const entry = (await readLockJson(root)).prompts["prompts/a.md"]!;
    expect(entry.engine).toMatchObject({ engine: "embedded", model: REF });
    expect(existsSync(path.join(root, "generated/a.txt"))).toBe(true);

    const downloads = hub.counts().started;
    const second = await runPc(["build", "--json"], { cwd: root, env: env() });
    expect(second.code, second.stderr).toBe(0);
    expect(
      JSON.parse(second.stdout)
        .prompts.map((p: { outcome: string }) => p.outcome)
        .sort(),
    ).toEqual(["built", "fresh"]);
    expect(hub.counts().started).toBe(downloads);
  });

  it("stops downloading at the first Ctrl-C: pc exits 130 before the download ends, and records nothing", async () => {
    hub.slow(200); // 8 KB every 200 ms: the 0.5 MB model would take about 13 s
    root = (await tinyProject({ "a.md": { model: REF, output: "generated/a.txt" } })).root;
    const { completed } = hub.counts();
    const pc = spawnPc(["build"], { cwd: root, env: env() });
    while (hub.counts().started === 0 || !existsSync(modelsDir())) {
      if (pc.child.exitCode !== null) throw new Error(`pc exited before the download began:\n${pc.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 500)); // a few chunks in
    pc.child.kill("SIGINT");
    const run = await pc.done;
    expect(run.code, run.stderr).toBe(130);
    // Each phase was shown as it began (one line each where stderr is no terminal).
    expect(run.stderr).toMatch(
      /resolving 127\.0\.0\.1 to download hf:someone\/tiny-repo\/tiny\.gguf\n.*connecting to 127\.0\.0\.1 to download .*\n.*downloading hf:someone\/tiny-repo\/tiny\.gguf from 127\.0\.0\.1: 0\.0 of 0\.5 MB\n/,
    );
    expect(hub.counts().completed).toBe(completed);
    expect(readdirSync(modelsDir()).filter((f) => f.endsWith(".gguf"))).toEqual([]);
    expect(existsSync(path.join(root, "generated/a.txt"))).toBe(false);
    expect(
      existsSync(path.join(root, "promptfile.lock")) ? Object.keys((await readLockJson(root)).prompts) : [],
    ).toEqual([]);
  });
});
