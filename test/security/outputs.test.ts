// An output is a file of the project that is none of pc's own (prompts, partials, the lock, the
// config, .pc/, .git/) and no folder; containment is checked again at the moment of writing. A
// prompt that breaks a rule, or that cannot be read (invalid UTF-8, a NUL in its output), fails
// alone with a clear code; the other prompts build and pc status keeps working.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, promises as fsp } from "node:fs";
import path from "node:path";
import { defaultAnswer, startTestServer, type TestServer } from "../support/openai-server.js";
import { listFiles, makeProject, readLockJson, removeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { runPc, spawnPc } from "../support/pc.js";

/** Temp projects held by their root path. */
const makeRoot = async (...args: Parameters<typeof makeProject>) => (await makeProject(...args)).root;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

interface JsonReport {
  prompts: Array<{ prompt: string; outcome: string; error: { code: string; message: string } | null }>;
}

describe("outputs that are pc's own files, folders or unreadable", () => {
  const bad: Record<string, { text: string | Uint8Array; code: string }> = {
    "prompts/self.md": { text: promptFile({ output: "prompts/self.md" }), code: "PC_OUTPUT_CONFLICT" },
    "prompts/partial.md": { text: promptFile({ output: "prompts/_style.md" }), code: "PC_OUTPUT_CONFLICT" },
    "prompts/lock.md": { text: promptFile({ output: "promptfile.lock" }), code: "PC_OUTPUT_CONFLICT" },
    "prompts/config.md": { text: promptFile({ output: "pc.config.json" }), code: "PC_OUTPUT_CONFLICT" },
    "prompts/dotpc.md": { text: promptFile({ output: ".pc/failures.json" }), code: "PC_OUTPUT_CONFLICT" },
    "prompts/hook.md": { text: promptFile({ output: ".git/hooks/pre-commit" }), code: "PC_OUTPUT_CONFLICT" },
    "prompts/folder.md": { text: promptFile({ output: "generated/folder" }), code: "PC_OUTPUT_CONFLICT" },
    "prompts/nul.md": { text: promptFile({ output: "generated/a\u0000.py" }), code: "PC_PATH_OUTSIDE_PROJECT" },
    "prompts/latin1.md": {
      text: Buffer.concat([Buffer.from(promptFile({ output: "generated/latin1.py" })), Buffer.from([0xe9, 0x0a])]),
      code: "PC_FILE_UNREADABLE",
    },
  };
  /** A project of its own for each test (they run in any order): the prompts, and every file's bytes. */
  async function badProject(): Promise<{ root: string; before: Map<string, Buffer> }> {
    const root = await makeRoot({
      "prompts/good.md": promptFile({ output: "generated/good.py" }),
      "prompts/_style.md": "Keep it short.\n",
      "pc.config.json": "{}\n",
      "generated/folder/keep.txt": "a folder, not a file\n",
      ...Object.fromEntries(Object.entries(bad).map(([file, { text }]) => [file, text])),
    });
    await fsp.mkdir(path.join(root, ".git/hooks"), { recursive: true });
    const before = new Map(
      await Promise.all((await listFiles(root)).map(async (f) => [f, await fsp.readFile(path.join(root, f))] as const)),
    );
    return { root, before };
  }

  it("each fails alone with its code, the good prompt is built, nothing of pc's is replaced", async () => {
    const { root, before } = await badProject();
    const run = await runPc(["build", "--json"], { cwd: root, env: { PC_BASE_URL: server.baseURL } });
    expect(run.stderr).not.toMatch(/internal error/);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as JsonReport;
    const outcome = (p: string) => report.prompts.find((r) => r.prompt === p)!;
    expect(outcome("prompts/good.md").outcome).toBe("built");
    for (const [prompt, { code }] of Object.entries(bad)) {
      expect(outcome(prompt).outcome, prompt).toBe("failed");
      expect(outcome(prompt).error?.code, `${prompt}: ${outcome(prompt).error?.message}`).toBe(code);
    }
    for (const [file, bytes] of before) {
      if (file.startsWith(".pc/")) continue;
      expect(await fsp.readFile(path.join(root, file)), file).toEqual(bytes);
    }
    expect(existsSync(path.join(root, ".git/hooks/pre-commit"))).toBe(false);
    expect(Object.keys((await readLockJson(root)).prompts)).toEqual(["prompts/good.md"]);
  });

  it("pc status keeps working and names each problem", async () => {
    const { root } = await badProject();
    const built = await runPc(["build"], { cwd: root, env: { PC_BASE_URL: server.baseURL } });
    expect(built.code, built.stderr).toBe(1);
    const status = await runPc(["status"], { cwd: root });
    expect(status.stderr).not.toMatch(/internal error/);
    expect(status.stdout).toMatch(/prompts\/good\.md\s+fresh/);
    for (const prompt of Object.keys(bad))
      expect(status.stdout, prompt).toMatch(new RegExp(`${prompt.replace(/[./]/g, "\\$&")}\\s+invalid`));
    expect(status.stderr).toContain("not UTF-8");
    expect(status.stderr).toContain("is a folder, not a file");
  });
});

describe("containment at the moment of writing", () => {
  it("a folder swapped for a symlink out of the project while the model answers is not written through", async () => {
    const outside = await makeRoot();
    const root = await makeRoot({
      "prompts/a.md": promptFile({ output: "generated/deep/a.py" }),
      "generated/deep/.keep": "",
    });
    let arrived!: () => void;
    const requested = new Promise<void>((resolve) => (arrived = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    server.setAnswer(async (body) => {
      arrived();
      await gate;
      return defaultAnswer(body);
    });
    try {
      const build = spawnPc(["build", "--json"], { cwd: root, env: { PC_BASE_URL: server.baseURL } });
      await requested;
      await fsp.rm(path.join(root, "generated/deep"), { recursive: true });
      await fsp.symlink(outside, path.join(root, "generated/deep"));
      release();
      const run = await build.done;
      expect(run.stderr).not.toMatch(/internal error/);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as JsonReport;
      expect(report.prompts[0]!.error?.code).toBe("PC_PATH_OUTSIDE_PROJECT");
      expect(await listFiles(outside)).toEqual([]);
      expect((await runPc(["status"], { cwd: root })).stderr).not.toMatch(/internal error/);
    } finally {
      server.setAnswer(defaultAnswer);
      await removeProject(root);
      await removeProject(outside);
    }
  });

  it("the rename itself is refused when the folder became a symlink after the last check", async () => {
    const { writeFileAtomic, setBeforeRenameHook } = await import("../../src/util/fs.js");
    const outside = await makeRoot();
    const root = await makeRoot({ "generated/x/.keep": "" });
    setBeforeRenameHook(async () => {
      await fsp.rename(path.join(root, "generated/x"), path.join(root, "generated/moved"));
      await fsp.symlink(outside, path.join(root, "generated/x"));
    });
    try {
      await expect(writeFileAtomic(path.join(root, "generated/x/a.py"), "print(1)\n", { root })).rejects.toMatchObject({
        code: "PC_PATH_OUTSIDE_PROJECT",
      });
      expect(await listFiles(outside)).toEqual([]);
    } finally {
      setBeforeRenameHook(undefined);
      await removeProject(root);
      await removeProject(outside);
    }
  });
});

describe("--metrics", () => {
  it("refuses a file name that does not end in .prom", async () => {
    const root = await makeRoot({ "prompts/a.md": promptFile({ output: "generated/a.py" }) });
    for (const name of ["metrics.txt", "promptfile.lock", "pc.prom.bak"]) {
      const run = await runPc(["build", "--metrics", name], { cwd: root, env: { PC_BASE_URL: server.baseURL } });
      expect(run.code, name).toBe(2);
      expect(run.stderr).toContain(".prom");
    }
    expect(existsSync(path.join(root, "promptfile.lock"))).toBe(false);
    await removeProject(root);
  });
});
