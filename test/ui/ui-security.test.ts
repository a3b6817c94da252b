import { request } from "node:http";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startUi, type UiServer } from "../../src/ui/server.js";
import { spawnPc } from "../support/pc.js";
import { type TempProject, makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A plain HTTP request, with any Host header (fetch would not send a foreign one). */
function call(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = "GET",
  body?: string,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method, headers: { host: `127.0.0.1:${port}`, ...headers } },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

describe("pc ui refuses requests that are not its own", () => {
  const server = useTestServer();
  let project: TempProject;
  let ui: UiServer;
  let cookie: string;

  beforeAll(async () => {
    project = await makeProject({
      "prompts/hello.md": promptFile({ output: "generated/hello.py" }),
      "secret.txt": "not for the web\n",
    });
    ui = await startUi({ cwd: project.root, baseUrl: server.baseURL });
    cookie = `pc-ui-${ui.port}=${ui.token}`;
  });
  afterAll(async () => {
    await ui?.close();
    await cleanupProjects();
  });

  it("listens on 127.0.0.1 and prints a URL carrying the token", () => {
    expect(ui.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${ui.port}/\\?token=${ui.token}$`));
    expect(ui.token.length).toBeGreaterThanOrEqual(32);
  });

  it("answers 401, never a page, without the token or with a wrong one", async () => {
    for (const path of ["/", "/index.html", "/app.js", "/api/status", "/api/events", "/?token=wrong"]) {
      const reply = await call(ui.port, path);
      expect(reply.status, path).toBe(401);
      expect(reply.headers["content-type"], path).toMatch(/^text\/plain/);
      expect(reply.body, path).not.toMatch(/<html|prompts\/hello/i);
    }
    expect(
      (await call(ui.port, "/api/status", { cookie: `pc-ui-${ui.port}=${"x".repeat(ui.token.length)}` })).status,
    ).toBe(401);
    // A cookie set for another pc ui (another port) does not open this one.
    expect((await call(ui.port, "/api/status", { cookie: `pc-ui-${ui.port + 1}=${ui.token}` })).status).toBe(401);
  });

  it("trades the URL's token for an HttpOnly, SameSite=Strict cookie and takes the token out of the address", async () => {
    const first = await call(ui.port, `/?token=${ui.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe("/");
    expect(first.headers["set-cookie"]).toEqual([`pc-ui-${ui.port}=${ui.token}; Path=/; HttpOnly; SameSite=Strict`]);
    const page = await call(ui.port, "/", { cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="app">');
    expect(page.headers["content-security-policy"]).toContain("default-src 'self'");
    const status = JSON.parse((await call(ui.port, "/api/status", { cookie })).body);
    expect(status.prompts.map((p: { prompt: string; state: string }) => [p.prompt, p.state])).toEqual([
      ["prompts/hello.md", "new"],
    ]);
  });

  it("answers 403 to a foreign Host header, even with the token (DNS rebinding)", async () => {
    for (const host of [
      "evil.example",
      `evil.example:${ui.port}`,
      `127.0.0.1.evil.example:${ui.port}`,
      `127.0.0.1:${ui.port + 1}`,
    ]) {
      const reply = await call(ui.port, "/api/status", { host, cookie });
      expect(reply.status, host).toBe(403);
      expect(reply.body, host).not.toContain("prompts/hello");
    }
    expect(
      (await call(ui.port, `/?token=${ui.token}`, { host: "evil.example" })).headers["set-cookie"],
    ).toBeUndefined();
    expect((await call(ui.port, "/api/status", { host: `localhost:${ui.port}`, cookie })).status).toBe(200);
  });

  it("answers 403 to a foreign Origin and starts nothing (cross-site requests)", async () => {
    const headers = { cookie, origin: "http://evil.example", "content-type": "application/json" };
    const reply = await call(ui.port, "/api/build", headers, "POST", JSON.stringify({ prompt: "prompts/hello.md" }));
    expect(reply.status).toBe(403);
    expect((await call(ui.port, "/api/status", { cookie, origin: `http://127.0.0.1:${ui.port + 1}` })).status).toBe(
      403,
    );
    expect((await call(ui.port, "/api/status", { cookie, "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect(server.chatRequests()).toHaveLength(0);
    expect(project.exists("generated/hello.py")).toBe(false);
    // A form posted from elsewhere cannot send JSON without the browser asking first: a body of another type is refused.
    const form = await call(
      ui.port,
      "/api/build",
      { cookie, "content-type": "application/x-www-form-urlencoded" },
      "POST",
      "prompt=prompts/hello.md",
    );
    expect(form.status).toBe(400);
    expect(server.chatRequests()).toHaveLength(0);
  });

  it("serves no file outside its bundled pages and the project's prompts", async () => {
    for (const path of [
      "/../../../../etc/passwd",
      "/%2e%2e/%2e%2e/package.json",
      "/..%2f..%2fpackage.json",
      "/secret.txt",
      "/prompts/hello.md",
      "/cli.js",
      "//etc/passwd",
    ]) {
      const reply = await call(ui.port, path, { cookie });
      expect(reply.status, path).toBe(404);
      expect(reply.body, path).not.toMatch(/root:|not for the web|"name"|model:/);
    }
    for (const prompt of ["../secret.txt", "secret.txt", "/etc/passwd", "../../../../etc/passwd"]) {
      const reply = await call(ui.port, `/api/prompt?prompt=${encodeURIComponent(prompt)}`, { cookie });
      expect(reply.status, prompt).toBe(404);
      expect(reply.body, prompt).not.toMatch(/root:|not for the web/);
    }
  });
});

describe("pc ui (the built binary)", () => {
  it("prints its URL as stdout's first line, listens on 127.0.0.1, and stops on SIGTERM", async () => {
    const project = await makeProject({ "prompts/hello.md": promptFile({ output: "generated/hello.py" }) });
    const pc = spawnPc(["ui", "--port", "0", "--no-open"], { cwd: project.root });
    const line = await firstLine(pc.child.stdout!);
    expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{32,}$/);
    const port = Number(/:(\d+)\//.exec(line)![1]);
    expect((await call(port, "/api/status")).status).toBe(401);
    expect(pc.stderr()).not.toMatch(/warning/);
    pc.child.kill("SIGTERM");
    const run = await pc.done;
    expect(run.code).toBe(0);
    await cleanupProjects();
  });

  it("warns on stderr when --host makes it reachable from elsewhere", async () => {
    const project = await makeProject({ "prompts/hello.md": promptFile({ output: "generated/hello.py" }) });
    const pc = spawnPc(["ui", "--host", "0.0.0.0", "--port", "0", "--no-open"], { cwd: project.root });
    const line = await firstLine(pc.child.stdout!);
    expect(line).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=/);
    await pc.waitForStderr(/warning: listening on 0\.0\.0\.0/);
    // Reached by this machine's name from elsewhere, it answers; under any other name it refuses.
    const port = Number(/:(\d+)\//.exec(line)![1]);
    const cookie = `pc-ui-${port}=${line.split("token=")[1]}`;
    expect((await call(port, "/api/status", { host: `${hostname()}:${port}`, cookie })).status).toBe(200);
    expect((await call(port, "/api/status", { host: `rebound.example:${port}`, cookie })).status).toBe(403);
    pc.child.kill("SIGTERM");
    expect((await pc.done).code).toBe(0);
    await cleanupProjects();
  });
});

function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => {
      text += d;
      if (text.includes("\n")) resolve(text.split("\n")[0]!);
    });
    stream.on("end", () => reject(new Error(`stdout ended without a line: ${text}`)));
  });
}
