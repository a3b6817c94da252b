// `model: hf:...` when the hub cannot be reached (HF_ENDPOINT at a closed port, at a stand-in that
// resets or never answers, or at a name that does not resolve): the built `pc` says which phase it
// is in, fails with the cause and the ways out after one try (no minutes of silent retries), stops
// at once on the first Ctrl-C or SIGTERM, and `pc doctor` says a build would fail.
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { runPc, spawnPc } from "../support/pc.js";
import { removeProject } from "../support/project.js";
import { closedPort as freePort } from "../support/test-server.js";
import { tinyModelBytes } from "../support/tiny-gguf.js";
import { tinyProject } from "../support/tiny-project.js";

const REF = "hf:someone/tiny-repo/tiny.gguf";
const NO_DNS = fileURLToPath(new URL("../support/no-dns.mjs", import.meta.url));

/** A TCP server that does `onConnection` with every connection, and counts them. */
function standIn(onConnection: (socket: net.Socket) => void) {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    onConnection(socket);
  });
  return {
    connections: () => connections,
    url: () => `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/`,
    start: () => new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve)),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// Resets once the request has arrived.
const resetting = standIn((socket) => socket.once("data", () => socket.resetAndDestroy()));
// Closes every connection as soon as it is made, before the request can be written.
const slamming = standIn((socket) => socket.destroy());
const silent = standIn(() => {}); // accepts, never answers
/** The tiny model's headers for HEAD (what `pc doctor` asks a hub that is up). */
const hub = http.createServer((req, res) => {
  if (!req.url?.startsWith("/someone/tiny-repo/resolve/main/tiny.gguf")) return void res.writeHead(404).end();
  res.writeHead(200, { "content-length": tinyModelBytes({ seed: 1 }).length }).end();
});
let closedPort: number;
let root: string | undefined;

beforeAll(async () => {
  await Promise.all([
    resetting.start(),
    slamming.start(),
    silent.start(),
    new Promise<void>((resolve) => hub.listen(0, "127.0.0.1", resolve)),
  ]);
  closedPort = await freePort();
});
afterAll(async () => {
  hub.closeAllConnections();
  await Promise.all([
    resetting.stop(),
    slamming.stop(),
    silent.stop(),
    new Promise<void>((resolve) => hub.close(() => resolve())),
  ]);
});
afterEach(() => removeProject(root));

/** A project whose one prompt pins the hf: model, and the environment of a user without it downloaded. */
async function hfProject(endpoint: string) {
  root = (await tinyProject({ "a.md": { model: REF, output: "generated/a.txt" } })).root;
  return { cwd: root, env: { HOME: path.join(root, "home"), HF_ENDPOINT: endpoint, PC_BASE_URL: undefined } };
}

/** The ways out every offline failure names. */
function expectWaysOut(stderr: string) {
  expect(stderr).toContain("gguf:~/models/<file>.gguf");
  expect(stderr).toMatch(/served model \(llama-server, Ollama/);
  expect(stderr).toContain("set HF_ENDPOINT");
  expect(stderr).toContain("PC_ENGINE_UNREACHABLE");
}

describe("an hf: model when the hub cannot be reached", () => {
  it("fails after one try at a closed port, saying connection refused, and pc status says the same", async () => {
    const where = await hfProject(`http://127.0.0.1:${closedPort}/`);
    const run = await runPc(["build"], where);
    expect(run.code, run.stderr).toBe(1);
    // The phases, in order, then the cause and the ways out.
    expect(run.stderr).toMatch(
      /resolving 127\.0\.0\.1 to download hf:someone\/tiny-repo\/tiny\.gguf[\s\S]*connecting to 127\.0\.0\.1 to download/,
    );
    expect(run.stderr).toContain(
      `Cannot download the model ${REF}: cannot connect to 127.0.0.1:${closedPort} (connection refused)`,
    );
    expectWaysOut(run.stderr);
    expect(run.stderr).toContain("0 built, 0 from cache, 0 fresh, 1 failed");
    const status = await runPc(["status"], where);
    expect(status.stdout).toMatch(
      /prompts\/a\.md\s+failed\s+generated\/a\.txt\s+-\s+last build failed: Cannot download the model .*connection refused/,
    );
  });

  it("tries a hub that resets the connection once, and says so", async () => {
    const where = await hfProject(resetting.url());
    const before = resetting.connections();
    const run = await runPc(["build"], where);
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/cannot connect to 127\.0\.0\.1:\d+ \(the connection was reset\)/);
    expectWaysOut(run.stderr);
    expect(resetting.connections() - before).toBe(1);
  });

  // Node 20's built-in fetch never settled here, and pc ended in the middle of the build with exit 0
  // and no report; it did so on most runs, so three runs make a return of it all but certain to show.
  it("fails, with the cause and a summary, against a hub that closes each connection before the request", async () => {
    const where = await hfProject(slamming.url());
    for (let attempt = 0; attempt < 3; attempt++) {
      const run = await runPc(["build"], where);
      expect(run.code, run.stderr).toBe(1);
      expect(run.stderr).toMatch(/cannot connect to 127\.0\.0\.1:\d+ \(the connection was reset\)/);
      expectWaysOut(run.stderr);
      expect(run.stderr).toContain("0 built, 0 from cache, 0 fresh, 1 failed");
    }
  });

  it("names a host that does not resolve (resolver stubbed: .invalid names fail at once)", async () => {
    const where = await hfProject("http://hub.invalid/");
    const run = await runPc(["build", "--json"], { ...where, nodeArgs: ["--import", NO_DNS] });
    expect(run.code, run.stderr).toBe(1);
    const error = JSON.parse(run.stdout).prompts[0].error;
    expect(error).toMatchObject({
      code: "PC_ENGINE_UNREACHABLE",
      message: expect.stringContaining(
        `Cannot download the model ${REF}: cannot resolve hub.invalid (DNS: no such host)`,
      ),
    });
    expect(error.hint).toContain("set HF_ENDPOINT");
  });

  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    it(`stops at the first ${signal} while the hub does not answer, and pc exits 130`, async () => {
      const where = await hfProject(silent.url());
      const pc = spawnPc(["build"], where);
      await pc.waitForStderr(/connecting to 127\.0\.0\.1 to download/);
      pc.child.kill(signal);
      const run = await pc.done;
      expect(run.code, run.stderr).toBe(130);
      expect(run.stderr).toContain(signal === "SIGINT" ? "interrupted:" : "terminated:");
      expect(run.stderr).not.toContain("PC_ENGINE_UNREACHABLE");
    });
  }
});

describe("pc doctor and an hf: model not downloaded yet", () => {
  it("is an error when the hub cannot be reached: a build would fail", async () => {
    const where = await hfProject(`http://127.0.0.1:${closedPort}/`);
    const run = await runPc(["doctor", "--json"], where);
    expect(run.code, run.stderr).toBe(1);
    const finding = JSON.parse(run.stdout).findings.find((f: { check: string }) => f.check === "embedded.model");
    expect(finding).toMatchObject({ level: "error", subject: REF });
    expect(finding.what).toContain("is not downloaded yet, and a build would fail: cannot connect to");
    expect(finding.fix).toContain("set HF_ENDPOINT");
  });

  it("is a warning when the hub has the file: the first build downloads it", async () => {
    const where = await hfProject(`http://127.0.0.1:${(hub.address() as net.AddressInfo).port}/`);
    const run = await runPc(["doctor", "--json"], where);
    const finding = JSON.parse(run.stdout).findings.find((f: { check: string }) => f.check === "embedded.model");
    expect(finding).toMatchObject({ level: "warn", subject: REF });
    expect(finding.what).toMatch(
      /is not downloaded yet; the first build downloads it \(0\.5 MB from 127\.0\.0\.1; used by prompts\/a\.md\)/,
    );
  });
});
