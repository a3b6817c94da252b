import { afterEach, describe, expect, it } from "vitest";
import { PcError } from "../../src/util/errors.js";
import { parsePrompt } from "../../src/prompt/frontmatter.js";
import { renderPrompt, type RenderedPrompt } from "../../src/prompt/render-prompt.js";
import { sha256 } from "../../src/util/fs.js";
import { type FileTree, type TempProject, makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";

afterEach(cleanupProjects);

const PROMPT = "prompts/app.md";

/** Renders prompts/app.md of a project made from `files`. */
async function renderApp(files: FileTree): Promise<{ project: TempProject; rendered: RenderedPrompt }> {
  const project = await makeProject(files);
  return { project, rendered: await renderIn(project) };
}

async function renderIn(project: TempProject, prompt = PROMPT): Promise<RenderedPrompt> {
  const bytes = await project.readBytes(prompt);
  return renderPrompt(project.root, parsePrompt(prompt, bytes.toString("utf8")), sha256(bytes));
}

async function renderError(files: FileTree): Promise<PcError> {
  const project = await makeProject(files);
  try {
    await renderIn(project);
  } catch (error) {
    expect(error).toBeInstanceOf(PcError);
    return error as PcError;
  }
  throw new Error("expected the render to fail");
}

const user = (r: RenderedPrompt) => r.messages.find((m) => m.role === "user")!.content;

describe("rendering a prompt's template", () => {
  it("includes partials (nested ones too) and records each as an input with its hash", async () => {
    const { rendered } = await renderApp({
      [PROMPT]: promptFile({ body: 'Build it.\n<%~ include("_style") %>' }),
      "prompts/_style.md": 'Use tabs.\n<%~ include("_license") %>',
      "prompts/_license.md": "MIT licensed.",
    });
    expect(user(rendered)).toContain("Build it.\nUse tabs.\nMIT licensed.");
    expect(Object.keys(rendered.inputs)).toEqual(["prompts/_license.md", "prompts/_style.md", PROMPT]);
    expect(rendered.inputs["prompts/_style.md"]).toBe(sha256('Use tabs.\n<%~ include("_license") %>'));
  });

  it("finds a partial in the prompt's own folder before the ones above it", async () => {
    const project = await makeProject({
      "prompts/api/app.md": promptFile({ body: '<%~ include("_style") %>' }),
      "prompts/api/_style.md": "API style.",
      "prompts/_style.md": "General style.",
    });
    const rendered = await renderIn(project, "prompts/api/app.md");
    expect(user(rendered)).toContain("API style.");
    expect(rendered.inputs).toHaveProperty(["prompts/api/_style.md"]);
    expect(rendered.inputs).not.toHaveProperty(["prompts/_style.md"]);
  });

  it("records a file read with file() as an input and inlines its text", async () => {
    const { rendered } = await renderApp({
      [PROMPT]: promptFile({ body: 'Types:\n<%~ file("src/types.ts") %>' }),
      "src/types.ts": "export type Id = string;\r\n",
    });
    expect(user(rendered)).toContain("Types:\nexport type Id = string;\n");
    expect(rendered.inputs["src/types.ts"]).toBe(sha256("export type Id = string;\r\n"));
  });

  it("gives the template its vars", async () => {
    const { rendered } = await renderApp({
      [PROMPT]: promptFile({ extra: "vars: {lang: Python, n: 3}", body: "Write <%= it.lang %> <%= vars.n %> times." }),
    });
    expect(user(rendered)).toContain("Write Python 3 times.");
  });

  it("inlines context files sorted by path, with each recorded as an input", async () => {
    const { rendered } = await renderApp({
      [PROMPT]: promptFile({ extra: 'context: ["src/*.ts", README.md]' }),
      "src/b.ts": "export const b = 2;\n",
      "src/a.ts": "export const a = 1;\n",
      "README.md": "# App\n",
    });
    expect(rendered.context).toEqual(["README.md", "src/a.ts", "src/b.ts"]);
    const text = user(rendered);
    expect(text.indexOf("README.md\n```markdown")).toBeLessThan(text.indexOf("src/a.ts\n```typescript"));
    expect(text.indexOf("src/a.ts\n```typescript\nexport const a = 1;\n```")).toBeLessThan(
      text.indexOf("src/b.ts\n```typescript"),
    );
    expect(Object.keys(rendered.inputs)).toEqual(["README.md", PROMPT, "src/a.ts", "src/b.ts"]);
  });

  it("renders the same messages whatever the order of the context entries", async () => {
    const files = { "src/a.ts": "a\n", "src/b.ts": "b\n", "README.md": "r\n" };
    const one = await renderApp({
      ...files,
      [PROMPT]: promptFile({ extra: "context: [src/a.ts, README.md, src/b.ts]" }),
    });
    const two = await renderApp({
      ...files,
      [PROMPT]: promptFile({ extra: "context: [src/b.ts, src/a.ts, README.md]" }),
    });
    expect(two.rendered.messages).toEqual(one.rendered.messages);
  });

  it("fences a context file with more backticks than it contains", async () => {
    const { rendered } = await renderApp({
      [PROMPT]: promptFile({ extra: "context: [docs/guide.md]" }),
      "docs/guide.md": "Example:\n```sh\nls\n```\n",
    });
    expect(user(rendered)).toContain("docs/guide.md\n````markdown\nExample:\n```sh\nls\n```\n````");
  });

  it("names a missing partial and where it looked", async () => {
    const error = await renderError({ [PROMPT]: promptFile({ body: 'First line.\n<%~ include("_nope") %>' }) });
    expect(error.code).toBe("PC_TEMPLATE_ERROR");
    expect(error.message).toBe('partial "_nope" not found');
    expect(error.file).toBe(PROMPT);
    expect(error.line).toBe(9);
    expect(error.hint).toContain("prompts/_nope.md");
  });

  it("reports a template that throws with the prompt's line and the failing text, no absolute path", async () => {
    const error = await renderError({ [PROMPT]: promptFile({ body: "One.\nTwo.\n<% throw new Error('no way') %>" }) });
    expect(error.code).toBe("PC_TEMPLATE_ERROR");
    expect(error.message).toBe("template failed: no way");
    expect(error.line).toBe(10);
    expect(error.hint).toContain("<% throw new Error('no way') %>");
    expect(error.format()).not.toContain(process.platform === "win32" ? "\\" : "/tmp");
  });

  it("reports an error inside a partial at the include's line, naming the partial", async () => {
    const error = await renderError({
      [PROMPT]: promptFile({ body: 'One.\n<%~ include("_broken") %>' }),
      "prompts/_broken.md": "fine\n<%= it.missing.name %>",
    });
    expect(error.message).toMatch(/^template failed: .*name/);
    expect(error.line).toBe(9);
    expect(error.hint).toContain("in prompts/_broken.md, line 2");
  });

  it("reports a template syntax error", async () => {
    const error = await renderError({ [PROMPT]: promptFile({ body: "One.\n<% if ( %>" }) });
    expect(error.code).toBe("PC_TEMPLATE_ERROR");
    expect(error.file).toBe(PROMPT);
  });

  it("reports an unclosed tag at its line", async () => {
    const error = await renderError({ [PROMPT]: promptFile({ body: "One.\n<%= it.x" }) });
    expect(error.message).toMatch(/unclosed tag/);
    expect(error.line).toBe(9);
  });

  it("refuses a context glob that matches nothing", async () => {
    const error = await renderError({ [PROMPT]: promptFile({ extra: 'context: ["lib/**/*.ts"]' }) });
    expect(error.code).toBe("PC_CONTEXT_EMPTY");
    expect(error.message).toBe('context glob "lib/**/*.ts" matches no file');
    expect(error.key).toBe("context");
  });

  it("names a missing context file and a missing file() read", async () => {
    const context = await renderError({ [PROMPT]: promptFile({ extra: "context: [src/gone.ts]" }) });
    expect(context.code).toBe("PC_FILE_UNREADABLE");
    expect(context.message).toBe('context file "src/gone.ts" does not exist');
    const read = await renderError({ [PROMPT]: promptFile({ body: '<%~ file("src/gone.ts") %>' }) });
    expect(read.code).toBe("PC_FILE_UNREADABLE");
    expect(read.message).toBe('file() "src/gone.ts" does not exist');
    expect(read.line).toBe(8);
  });

  it("refuses a binary context file", async () => {
    const error = await renderError({
      [PROMPT]: promptFile({ extra: "context: [logo.png]" }),
      "logo.png": new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]),
    });
    expect(error.message).toMatch(/binary or not UTF-8/);
  });
});

describe("paths a template reads stay inside the project", () => {
  it.each([
    ["an absolute context path", { extra: "context: [/etc/hostname]" }, "is absolute"],
    ["a context path with ..", { extra: "context: [../secret.txt]" }, "points outside the project"],
    ["a context glob with ..", { extra: 'context: ["../*.txt"]' }, "points outside the project"],
    ["file() with ..", { body: '<%~ file("../secret.txt") %>' }, "points outside the project"],
    ["file() with an absolute path", { body: '<%~ file("/etc/hostname") %>' }, "is absolute"],
    ["include() climbing out", { body: '<%~ include("../../secret.txt") %>' }, "points outside the project"],
  ])("refuses %s", async (_name, prompt, why) => {
    const error = await renderError({ [PROMPT]: promptFile(prompt) });
    expect(error.code).toBe("PC_PATH_OUTSIDE_PROJECT");
    expect(error.message).toContain(why);
    expect(error.file).toBe(PROMPT);
  });

  it("refuses a context file that is a symlink to a file outside the project", async () => {
    const outside = await makeProject({ "secret.txt": "password\n" });
    const project = await makeProject({ [PROMPT]: promptFile({ extra: "context: [src/link.txt]" }) });
    await project.symlink("src/link.txt", outside.path("secret.txt"));
    const error = await renderIn(project).catch((e: unknown) => e as PcError);
    expect(error).toBeInstanceOf(PcError);
    expect((error as PcError).code).toBe("PC_PATH_OUTSIDE_PROJECT");
    expect((error as PcError).message).toContain("symlink");
  });

  it("refuses a glob match reached through a symlinked folder outside the project", async () => {
    const outside = await makeProject({ "lib/a.ts": "secret\n" });
    const project = await makeProject({ [PROMPT]: promptFile({ extra: 'context: ["vendor/**/*.ts"]' }) });
    await project.symlink("vendor", outside.path("lib"));
    const error = await renderIn(project).catch((e: unknown) => e as PcError);
    expect((error as PcError).code).toBe("PC_PATH_OUTSIDE_PROJECT");
  });

  it("follows a symlink that stays inside the project", async () => {
    const project = await makeProject({
      [PROMPT]: promptFile({ extra: "context: [src/alias.ts]" }),
      "src/real.ts": "real\n",
    });
    await project.symlink("src/alias.ts", "real.ts");
    const rendered = await renderIn(project);
    expect(user(rendered)).toContain("src/alias.ts\n```typescript\nreal\n```");
  });
});
