// The API key (PC_API_KEY) is sent to the server and nowhere else: not in the lock, the cache, the
// failure records, logs, --json output or error messages, even when the server echoes it back.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { type PcRun, runPc } from "../support/pc.js";
import { removeProject, listFiles, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const KEY = "sk-pc-7f3a9c1e5b2d4680-SECRET-aa11bb22cc33dd44";
const server = useTestServer({}, { resetEachTest: false });
let root: string;
const runs: Array<{ command: string; run: PcRun }> = [];

const mentions = (output: string) => (body: { messages: Array<{ content: unknown }> }) =>
  JSON.stringify(body.messages).includes(output);

beforeAll(async () => {
  root = (
    await makeProject({
      "prompts/auth.md": promptFile({ output: "generated/auth.py", body: "Write auth." }),
      "prompts/stream.md": promptFile({ output: "generated/stream.py", body: "Write stream." }),
      "prompts/upstream.md": promptFile({ output: "generated/upstream.py", body: "Write upstream." }),
      "prompts/good.md": promptFile({ output: "generated/good.py", body: "Write good." }),
    })
  ).root;
  const faults = () => {
    // A gateway that quotes the request's Authorization header in its error.
    server.fail(
      { status: 401, message: `Invalid API key provided: Authorization: Bearer ${KEY}` },
      { when: mentions("generated/auth.py") },
    );
    server.fail(
      { kind: "sse-error", message: `upstream rejected key ${KEY}` },
      { when: mentions("generated/stream.py") },
    );
    server.fail({ status: 502, message: `bad gateway (api_key=${KEY})` }, { when: mentions("generated/upstream.py") });
  };
  const env = { PC_API_KEY: KEY, PC_BASE_URL: server.baseURL };
  const commands = [
    ["build", "--retries", "0"],
    ["build", "--retries", "0", "--json"],
    ["build", "--dry-run", "--json"],
    ["status"],
    ["status", "--json"],
    ["check", "--json"],
    ["lock", "--json"],
    ["lock", "--repair"],
    ["render", "prompts/good.md", "--format", "json"],
    ["build", "--force", "--no-cache", "--retries", "0"],
  ];
  for (const command of commands) {
    faults();
    runs.push({ command: command.join(" "), run: await runPc(command, { cwd: root, env }) });
  }
});

afterAll(async () => {
  await removeProject(root);
});

describe("the API key", () => {
  it("is sent to the server as a bearer token", () => {
    const chats = server.chatRequests();
    expect(chats.length).toBeGreaterThan(0);
    for (const request of chats) expect(request.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("the server's echo of it reached pc, which reported the error with the key redacted", () => {
    const build = runs[0]!.run;
    expect(build.code).toBe(1);
    expect(build.stderr).toMatch(/Invalid API key provided: Authorization: Bearer \[redacted\]/);
    expect(build.stderr).toMatch(/upstream rejected key \[redacted\]/);
    expect(build.stderr).toMatch(/bad gateway \(api_key=\[redacted\]\)/);
    expect(build.stderr).toMatch(/✓ built {2}prompts\/good\.md/);
  });

  it("appears in no output of any command", () => {
    for (const { command, run } of runs) {
      expect(run.stdout, `stdout of pc ${command}`).not.toContain(KEY);
      expect(run.stderr, `stderr of pc ${command}`).not.toContain(KEY);
      expect(run.stdout + run.stderr, `pc ${command}`).not.toContain("SECRET");
    }
  });

  it("appears in no file of the project: lock, cache, failure records, backups", async () => {
    const files = await listFiles(root);
    expect(files).toContain("promptfile.lock");
    expect(files.some((f) => f.startsWith(".pc/generations/"))).toBe(true);
    expect(files).toContain(".pc/failures.json");
    for (const file of files) {
      const bytes = await fsp.readFile(path.join(root, file));
      expect(bytes.includes(KEY), file).toBe(false);
      expect(bytes.includes("SECRET"), file).toBe(false);
    }
  });
});
