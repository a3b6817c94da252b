// Bad prompt files, bad paths and JavaScript frontmatter, all in one project next to one good prompt:
// each bad prompt fails with a clear error (what, where, how to fix) before any request or write,
// nothing outside the project is read or written, and the good prompt is built all the same.
import { mkdtempSync, promises as fsp, realpathSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PcRun, runPc } from "../support/pc.js";
import { removeProject, exists, readLockJson, listFiles, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

interface Case {
  name: string;
  prompt: string;
  files: Record<string, string | Uint8Array>;
  code: string;
  message: RegExp;
  /** 1-based line in the prompt file the error points at. */
  line?: number;
}

const head = (extra = "", output = "generated/x.py") =>
  `---\nversion: 1\nmodel: test-model\nseed: 1\ntemperature: 0\noutput: ${output}\n${extra}---\n`;

// Made at load time: the cases name paths in it.
const outside = realpathSync(mkdtempSync(path.join(os.tmpdir(), "pc-outside-")));
const server = useTestServer({}, { resetEachTest: false });
let root: string;
let build: PcRun;
let status: PcRun;
let buildJson: {
  prompts: Array<{
    prompt: string;
    outcome: string;
    error: { code: string; message: string; line?: number; hint?: string } | null;
  }>;
};

function cases(): Case[] {
  const secret = path.join(outside, "secret.txt");
  return [
    {
      name: "invalid YAML",
      prompt: "prompts/yaml.md",
      files: { "prompts/yaml.md": "---\nversion: 1\nmodel: [test-model\nseed: 1\n---\nhi\n" },
      code: "PC_FRONTMATTER_INVALID",
      message: /frontmatter is not valid YAML/,
    },
    {
      name: "a wrong type",
      prompt: "prompts/type.md",
      files: { "prompts/type.md": head().replace("seed: 1", "seed: forty-two") + "hi\n" },
      code: "PC_FRONTMATTER_INVALID",
      message: /seed must be integer/,
      line: 4,
    },
    {
      name: "an unknown key (a typo)",
      prompt: "prompts/typo.md",
      files: { "prompts/typo.md": head("temprature: 0.2\n") + "hi\n" },
      code: "PC_FRONTMATTER_INVALID",
      message: /unknown key "temprature": did you mean "temperature"\?/,
      line: 7,
    },
    {
      name: "a duplicate key",
      prompt: "prompts/dup.md",
      files: { "prompts/dup.md": head("seed: 2\n") + "hi\n" },
      code: "PC_FRONTMATTER_INVALID",
      message: /duplicated mapping key/,
      line: 7,
    },
    {
      name: "no frontmatter",
      prompt: "prompts/bare.md",
      files: { "prompts/bare.md": "Write a script.\n" },
      code: "PC_FRONTMATTER_INVALID",
      message: /has no frontmatter/,
      line: 1,
    },
    {
      name: "an empty body",
      prompt: "prompts/empty.md",
      files: { "prompts/empty.md": head() + "\n  \n" },
      code: "PC_TEMPLATE_ERROR",
      message: /has an empty body/,
    },
    {
      name: "a template that renders to nothing",
      prompt: "prompts/nothing.md",
      files: { "prompts/nothing.md": head() + "<% /* nothing */ %>\n" },
      code: "PC_TEMPLATE_ERROR",
      message: /renders to nothing/,
    },
    {
      name: "a binary context file",
      prompt: "prompts/bin.md",
      files: {
        "prompts/bin.md": head("context: [data/blob.bin]\n") + "hi\n",
        "data/blob.bin": new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]),
      },
      code: "PC_FILE_UNREADABLE",
      message: /context file "data\/blob\.bin" is binary or not UTF-8 text/,
    },
    {
      name: "a non-UTF-8 context file",
      prompt: "prompts/latin1.md",
      files: {
        "prompts/latin1.md": head("context: [data/latin1.txt]\n") + "hi\n",
        "data/latin1.txt": new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x0a]),
      },
      code: "PC_FILE_UNREADABLE",
      message: /"data\/latin1\.txt" is binary or not UTF-8 text/,
    },
    {
      name: "a context glob matching nothing",
      prompt: "prompts/glob.md",
      files: { "prompts/glob.md": head("context: ['src/**/*.nomatch']\n") + "hi\n" },
      code: "PC_CONTEXT_EMPTY",
      message: /context glob "src\/\*\*\/\*\.nomatch" matches no file/,
    },
    {
      name: "a missing context file",
      prompt: "prompts/nofile.md",
      files: { "prompts/nofile.md": head("context: [src/nope.ts]\n") + "hi\n" },
      code: "PC_FILE_UNREADABLE",
      message: /context file "src\/nope\.ts" does not exist/,
    },
    {
      name: "a missing partial",
      prompt: "prompts/partial.md",
      files: { "prompts/partial.md": head() + 'first line\n<%~ include("_nope") %>\n' },
      code: "PC_TEMPLATE_ERROR",
      message: /partial "_nope" not found/,
      line: 9,
    },
    {
      name: "a template that throws",
      prompt: "prompts/throws.md",
      files: { "prompts/throws.md": head() + "first line\n<% throw new Error('boom') %>\n" },
      code: "PC_TEMPLATE_ERROR",
      message: /template failed: boom/,
      line: 9,
    },
    {
      name: "a template reading an undefined value",
      prompt: "prompts/undef.md",
      files: { "prompts/undef.md": head() + "<%= it.config.name %>\n" },
      code: "PC_TEMPLATE_ERROR",
      message: /template failed: Cannot read properties of undefined \(reading 'name'\)/,
      line: 8,
    },
    {
      name: "a cycle through context files",
      prompt: "prompts/cycle-a.md",
      files: {
        "prompts/cycle-a.md": head("context: [generated/cycle-b.py]\n", "generated/cycle-a.py") + "a\n",
        "prompts/cycle-b.md": head("context: [generated/cycle-a.py]\n", "generated/cycle-b.py") + "b\n",
        "generated/cycle-a.py": "# a\n",
        "generated/cycle-b.py": "# b\n",
      },
      code: "PC_GRAPH_CYCLE",
      message: /cycle: prompts\/cycle-a\.md -> prompts\/cycle-b\.md -> prompts\/cycle-a\.md/,
    },
    {
      name: "two prompts claiming one output",
      prompt: "prompts/claim-2.md",
      files: {
        "prompts/claim-1.md": head("", "generated/claimed.py") + "one\n",
        "prompts/claim-2.md": head("", "generated/claimed.py") + "two\n",
      },
      code: "PC_OUTPUT_CONFLICT",
      message: /output "generated\/claimed\.py" is claimed by both prompts\/claim-1\.md and prompts\/claim-2\.md/,
    },
    // JavaScript frontmatter: gray-matter would eval it; pc refuses it before gray-matter sees it.
    ...["js", "javascript", "JS", " js"].map((lang, i): Case => ({
      name: `---${lang} frontmatter`,
      prompt: `prompts/js-${i}.md`,
      files: {
        [`prompts/js-${i}.md`]: `---${lang}\n(function () { require("fs").writeFileSync("PWNED-${i}", "x"); return { version: 1 }; })()\n---\nhi\n`,
      },
      code: "PC_FRONTMATTER_JS",
      message: /asks for JavaScript frontmatter .* which is never evaluated/,
      line: 1,
    })),
    // Paths that leave the project: refused before any request or write.
    {
      name: "an absolute output",
      prompt: "prompts/abs-out.md",
      files: { "prompts/abs-out.md": head("", path.join(outside, "abs.py")) + "hi\n" },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /output ".*abs\.py" is absolute/,
    },
    {
      name: "an output reaching out with ..",
      prompt: "prompts/up-out.md",
      files: { "prompts/up-out.md": head("", `../${path.basename(outside)}/up.py`) + "hi\n" },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /output "\.\.\/.*up\.py" points outside the project/,
    },
    {
      name: "an output through a symlink to outside",
      prompt: "prompts/link-out.md",
      files: { "prompts/link-out.md": head("", "escape/link.py") + "hi\n" },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /output "escape\/link\.py" passes through a symlink that points outside the project/,
    },
    {
      name: "an absolute context file",
      prompt: "prompts/abs-ctx.md",
      files: { "prompts/abs-ctx.md": head(`context: [${secret}]\n`) + "hi\n" },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /context file ".*secret\.txt" is absolute/,
    },
    {
      name: "a context file reaching out with ..",
      prompt: "prompts/up-ctx.md",
      files: { "prompts/up-ctx.md": head(`context: [../${path.basename(outside)}/secret.txt]\n`) + "hi\n" },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /points outside the project/,
    },
    {
      name: "a context file that is a symlink to outside",
      prompt: "prompts/link-ctx.md",
      files: { "prompts/link-ctx.md": head("context: [data/secret-link.txt]\n") + "hi\n" },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /context file "data\/secret-link\.txt" passes through a symlink/,
    },
    {
      name: "a context glob through a symlinked folder",
      prompt: "prompts/link-glob.md",
      files: { "prompts/link-glob.md": head("context: ['escape/*.txt']\n") + "hi\n" },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /context file "escape\/secret\.txt" passes through a symlink/,
    },
    {
      name: "file() of an absolute path",
      prompt: "prompts/abs-file.md",
      files: { "prompts/abs-file.md": head() + `<%~ file(${JSON.stringify(secret)}) %>\n` },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /file\(\) ".*secret\.txt" is absolute/,
      line: 8,
    },
    {
      name: "file() reaching out with ..",
      prompt: "prompts/up-file.md",
      files: { "prompts/up-file.md": head() + `<%~ file("../${path.basename(outside)}/secret.txt") %>\n` },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /file\(\) .* points outside the project/,
      line: 8,
    },
    {
      name: "file() through a symlink",
      prompt: "prompts/link-file.md",
      files: { "prompts/link-file.md": head() + `<%~ file("escape/secret.txt") %>\n` },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /file\(\) "escape\/secret\.txt" passes through a symlink/,
      line: 8,
    },
    {
      name: "a partial reaching out with ..",
      prompt: "prompts/up-partial.md",
      files: { "prompts/up-partial.md": head() + `<%~ include("../../${path.basename(outside)}/secret.txt") %>\n` },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /partial .* points outside the project/,
      line: 8,
    },
    {
      name: "a partial that is a symlink to outside",
      prompt: "prompts/link-partial.md",
      files: { "prompts/link-partial.md": head() + `<%~ include("_linked") %>\n` },
      code: "PC_PATH_OUTSIDE_PROJECT",
      message: /partial "prompts\/_linked\.md" passes through a symlink/,
      line: 8,
    },
  ].map((c) => ({
    ...c,
    // One output per prompt, so that only the cases about outputs conflict.
    files: Object.fromEntries(
      Object.entries(c.files).map(([f, text]) => [
        f,
        typeof text === "string"
          ? text.replace("output: generated/x.py", `output: generated/${path.basename(f, ".md")}.py`)
          : text,
      ]),
    ),
  }));
}

beforeAll(async () => {
  await fsp.writeFile(path.join(outside, "secret.txt"), "OUTSIDE-SECRET-TEXT\n");
  const files: Record<string, string | Uint8Array> = {
    "prompts/good.md": promptFile({ output: "generated/good.py", body: "Write the good one." }),
  };
  for (const c of cases()) Object.assign(files, c.files);
  root = (await makeProject(files, `${path.basename(outside)}-project-`)).root;
  await fsp.symlink(outside, path.join(root, "escape"));
  await fsp.symlink(path.join(outside, "secret.txt"), path.join(root, "data/secret-link.txt"));
  await fsp.symlink(path.join(outside, "secret.txt"), path.join(root, "prompts/_linked.md"));
  build = await runPc(["build", "--base-url", server.baseURL, "--json"], { cwd: root });
  buildJson = JSON.parse(build.stdout);
  status = await runPc(["status"], { cwd: root });
});

afterAll(async () => {
  await removeProject(root);
  await removeProject(outside);
});

describe("one project full of bad prompts", () => {
  it("builds the good prompt, makes no request for any bad one, and exits 1", () => {
    expect(build.code, build.stderr).toBe(1);
    expect(buildJson.prompts.find((p) => p.prompt === "prompts/good.md")?.outcome).toBe("built");
    expect(server.chatRequests()).toHaveLength(1);
    expect(JSON.stringify(server.chatRequests()[0]!.body)).toContain("Write the good one.");
  });

  it.each(cases().map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const result = buildJson.prompts.find((p) => p.prompt === c.prompt);
    expect(result?.outcome).toBe("failed");
    expect(result?.error?.code).toBe(c.code);
    expect(result?.error?.message).toMatch(c.message);
    if (c.line) expect(result?.error?.line).toBe(c.line);
    expect(result?.error?.hint, "every error says how to fix it").toBeTruthy();
    // No absolute path of the project in the message (it would also land in .pc/failures.json).
    expect(result?.error?.message).not.toContain(root);
    // `pc status` says the same, naming the file.
    expect(status.stdout).toMatch(new RegExp(`${c.prompt.replace(/[.]/g, "\\.")}\\s+invalid`));
    const where = c.prompt.replace(/[.]/g, "\\.") + (c.line ? `:${c.line}` : "(:\\d+)?");
    expect(status.stderr).toMatch(new RegExp(`^${where}: `, "m"));
  });

  it("never evaluates JavaScript frontmatter", async () => {
    const files = await listFiles(root);
    expect(files.filter((f) => f.includes("PWNED"))).toEqual([]);
    expect(await exists(os.tmpdir(), "PWNED-0")).toBe(false);
  });

  it("writes nothing outside the project and sends nothing from outside to the model", async () => {
    expect(await listFiles(outside)).toEqual(["secret.txt"]);
    for (const request of server.requests) expect(request.rawBody).not.toContain("OUTSIDE-SECRET-TEXT");
    expect(await listFiles(root, "generated")).toEqual([
      "generated/cycle-a.py",
      "generated/cycle-b.py",
      "generated/good.py",
    ]);
    expect(Object.keys((await readLockJson(root)).prompts)).toEqual(["prompts/good.md"]);
  });
});
