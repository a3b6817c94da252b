// A hostile (or careless) server echoes the API key in every string it returns: /props build_info
// and model_path, the streamed model and system_fingerprint, the answer itself, its error bodies.
// pc writes it to no file and prints it nowhere; an answer that holds it fails its prompt alone.
// A base URL with credentials is refused (exit 2) without printing or storing them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { promises as fsp } from "node:fs";
import path from "node:path";
import { defaultAnswer, fencedAnswer, startTestServer, type TestServer } from "../support/openai-server.js";
import { listFiles, makeProject, readLockJson, removeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { runPc, type PcRun } from "../support/pc.js";

/** Temp projects held by their root path. */
const makeRoot = async (...args: Parameters<typeof makeProject>) => (await makeProject(...args)).root;

const KEY = "sk-live-9d8c7b6a5f4e3d2c1b0a-TOPSECRET";
let server: TestServer;
let root: string;
const runs: Array<{ command: string; run: PcRun }> = [];

const mentions = (output: string) => (body: { messages: Array<{ content: unknown }> }) =>
  JSON.stringify(body.messages).includes(output);

/** Every file of the project that holds `secret` (as bytes), besides the prompts that do not. */
async function filesHolding(dir: string, secret: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of await listFiles(dir))
    if ((await fsp.readFile(path.join(dir, file))).includes(secret)) found.push(file);
  return found;
}

beforeAll(async () => {
  server = await startTestServer({
    identity: {
      buildInfo: `b999 ${KEY}`,
      modelPath: `/models/${KEY}/model.gguf`,
      model: `served-as-${KEY}`,
      systemFingerprint: `fp-${KEY}`,
    },
    answer: (body) =>
      mentions("generated/leak.py")(body)
        ? `Here it is:\n${fencedAnswer(`API_KEY = "${KEY}"\nprint(API_KEY)`, "python")}`
        : defaultAnswer(body),
  });
  root = await makeRoot({
    "prompts/good.md": promptFile({ output: "generated/good.py", body: "Write good." }),
    "prompts/leak.md": promptFile({ output: "generated/leak.py", body: "Write leak." }),
    "prompts/refused.md": promptFile({ output: "generated/refused.py", body: "Write refused." }),
  });
  const env = { PC_API_KEY: KEY, PC_BASE_URL: server.baseURL };
  for (const command of [
    ["build", "--retries", "0"],
    ["build", "--retries", "0", "--json"],
    ["status"],
    ["status", "--json"],
    ["doctor"],
    ["doctor", "--json"],
    ["log", "prompts/good.md"],
  ]) {
    server.fail({ status: 400, message: `bad request from key ${KEY}` }, { when: mentions("generated/refused.py") });
    runs.push({ command: command.join(" "), run: await runPc(command, { cwd: root, env }) });
  }
});

afterAll(async () => {
  await server.close();
  await removeProject(root);
});

describe("a server that echoes the API key everywhere", () => {
  it("reached pc: the good prompt is built, its identity recorded with the key redacted", async () => {
    const build = runs[0]!.run;
    expect(build.code, build.stderr).toBe(1);
    expect(build.stderr).toMatch(/✓ built {2}prompts\/good\.md/);
    const entry = (await readLockJson(root)).prompts["prompts/good.md"]!;
    expect(JSON.stringify(entry.engine)).toContain("[redacted]");
    expect(entry.engine.buildInfo).toBe("b999 [redacted]");
  });

  it("an answer that holds the key fails its prompt alone, and no file gets it", async () => {
    const json = JSON.parse(runs[1]!.run.stdout) as {
      prompts: Array<{ prompt: string; outcome: string; error: { code: string } | null }>;
    };
    const leak = json.prompts.find((p) => p.prompt === "prompts/leak.md")!;
    expect(leak.outcome).toBe("failed");
    expect(leak.error?.code).toBe("PC_SECRET_REFUSED");
    expect(await listFiles(root, "generated")).toEqual(["generated/good.py"]);
    expect((await listFiles(root)).some((f) => f.startsWith(".pc/failed/"))).toBe(true);
  });

  it("an error body that quotes the key is reported redacted", () => {
    expect(runs[0]!.run.stderr).toContain("bad request from key [redacted]");
  });

  it("the key is in no file of the project: lock, cache, entries, failed answers, failure record", async () => {
    const files = await listFiles(root);
    for (const kept of ["promptfile.lock", ".pc/failures.json"]) expect(files).toContain(kept);
    expect(files.some((f) => f.startsWith(".pc/generations/"))).toBe(true);
    expect(await filesHolding(root, KEY)).toEqual([]);
    expect(await filesHolding(root, "TOPSECRET")).toEqual([]);
  });

  it("no command prints it", () => {
    for (const { command, run } of runs) {
      expect(run.stdout + run.stderr, `pc ${command}`).not.toContain("TOPSECRET");
      expect(run.stderr, `pc ${command}`).not.toMatch(/internal error/);
    }
  });
});

describe("credentials in the base URL", () => {
  let project: string;
  beforeAll(async () => {
    project = await makeRoot({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
  });
  afterAll(() => removeProject(project));

  it("are refused with exit 2 from the flag, PC_BASE_URL or pc.config.json, and never printed or stored", async () => {
    const password = "hunter2-Pa55word";
    const url = `http://alice:${password}@127.0.0.1:9/v1`;
    const tries: Array<[string[], Record<string, string | undefined>]> = [
      [["build", "--base-url", url], {}],
      [["build", `--base-url=${url}`, "--json"], {}],
      [["build"], { PC_BASE_URL: url }],
      [["doctor"], { PC_BASE_URL: url }],
      [["doctor", "--json"], { PC_BASE_URL: url }],
    ];
    for (const [args, env] of tries) {
      const run = await runPc(args, { cwd: project, env });
      const said = run.stdout + run.stderr;
      expect(said, args.join(" ")).not.toContain(password);
      expect(said, args.join(" ")).not.toContain("alice");
      if (args[0] === "build") {
        expect(run.code, said).toBe(2);
        expect(said).toContain("PC_CONFIG_INVALID");
      }
      const status = await runPc(["status"], { cwd: project, env });
      expect(status.stdout + status.stderr).not.toContain(password);
    }
    await fsp.writeFile(path.join(project, "pc.config.json"), JSON.stringify({ baseUrl: url }));
    const fromConfig = await runPc(["build"], { cwd: project });
    expect(fromConfig.code).toBe(2);
    expect(fromConfig.stderr).toContain("pc.config.json");
    expect(fromConfig.stderr).not.toContain(password);
    await fsp.rm(path.join(project, "pc.config.json"));
    expect(await filesHolding(project, password)).toEqual([]);
  });
});

describe("redaction", () => {
  it("removes any key from any text it is found in, in every written form", async () => {
    const { knownSecrets, redact, redactDeep, containsSecret } = await import("../../src/util/redact.js");
    fc.assert(
      fc.property(fc.string({ minLength: 4, maxLength: 40 }), fc.string(), fc.string(), (key, before, after) => {
        fc.pre(!"Bearer [redacted]".includes(key));
        const secrets = knownSecrets({ PC_API_KEY: key });
        const text = `${before}${key}${after}`;
        expect(redact(text, secrets)).not.toContain(key);
        const stored = JSON.stringify(redactDeep({ [text]: [text, { nested: text }] }, secrets));
        expect(stored.includes(key) || stored.includes(JSON.stringify(key).slice(1, -1))).toBe(false);
        expect(containsSecret(Buffer.from(text), secrets)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
