// The UI in a real browser (Chromium through playwright-core) against a temp project and the test server.
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { render } from "../../src/commands/render.js";
import { startUi, type UiServer } from "../../src/ui/server.js";
import { browserMissing, launchBrowser, type Browser } from "../support/browser.js";
import { fencedAnswer } from "../support/openai-server.js";
import { REPO, runPc } from "../support/pc.js";
import { type TempProject, makeProject, cleanupProjects } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { useTestServer } from "../support/test-server.js";

const missing = browserMissing();
/** Waits for what the page shows to settle (the bound only keeps a broken run from hanging). */
const eventually = <T>(read: () => Promise<T>) => expect.poll(read, { timeout: 30_000, interval: 50 });
if (missing) process.stderr.write(`pc ui browser tests skipped: ${missing}\n`);

/** Screenshots go to docs/images (for the README) when UPDATE_SCREENSHOTS=1, else to the temp project. */
async function screenshot(page: Page, project: TempProject, name: string): Promise<void> {
  const folder = process.env.UPDATE_SCREENSHOTS ? path.join(REPO, "docs/images") : project.path(".screenshots");
  await mkdir(folder, { recursive: true });
  await page.screenshot({ path: path.join(folder, `${name}.png`), fullPage: name !== "ui-list" });
}

describe.skipIf(missing)("pc ui in a browser", () => {
  const server = useTestServer();
  let project: TempProject;
  let ui: UiServer | undefined;
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterEach(async () => {
    await ui?.close();
    ui = undefined;
    await cleanupProjects();
  });
  afterAll(async () => {
    await browser?.close();
  });

  /**
   * Each test's own project of three prompts (report.md reads sum.md's output), with the prompts
   * `built` built by `pc build`, and pc ui on it: no test depends on what another did.
   */
  async function openProject(built: string[] = []): Promise<UiServer> {
    project = await makeProject({
      "prompts/hello.md": promptFile({
        output: "generated/hello.py",
        body: "Write generated/hello.py: print a greeting.",
      }),
      "prompts/sum.md": promptFile({ output: "generated/sum.py", body: "Write generated/sum.py: add two numbers." }),
      "prompts/report.md": promptFile({
        output: "generated/report.py",
        context: ["generated/sum.py"],
        body: "Write generated/report.py using the sum.",
      }),
    });
    if (built.length > 0) {
      const run = await runPc(["build", ...built], { cwd: project.root, env: { PC_BASE_URL: server.baseURL } });
      expect(run.code, run.stderr).toBe(0);
      server.reset();
    }
    ui = await startUi({ cwd: project.root, baseUrl: server.baseURL });
    return ui;
  }

  const row = (page: Page, prompt: string) => page.locator(`tr[data-prompt="${prompt}"]`);

  it("lists every prompt with its state, and follows a build started by a click and one run in another terminal, live", async () => {
    const ui = await openProject();
    const list = await browser.context.newPage();
    await list.goto(ui.url);
    expect(new URL(list.url()).search).toBe(""); // the token left the address bar for a cookie
    await eventually(() => row(list, "prompts/hello.md").getAttribute("data-state")).toBe("new");
    expect(await list.locator("tr[data-prompt]").count()).toBe(3);
    expect(await row(list, "prompts/report.md").locator(".reason").getAttribute("title")).toBe(
      "not built yet\ndepends on prompts/sum.md (new)",
    );

    // Build hello.md by clicking on its page; the list, open in another tab, changes without a reload.
    const page = await browser.context.newPage();
    await page.goto(`${ui.url.replace(/\?.*/, "")}#/prompt/${encodeURIComponent("prompts/hello.md")}`);
    await page.getByRole("button", { name: "Build", exact: true }).click();
    await eventually(() => page.locator(".prompt-title .badge").textContent()).toBe("fresh");
    await eventually(() => row(list, "prompts/hello.md").getAttribute("data-state")).toBe("fresh");
    expect(server.chatRequests()).toHaveLength(1);
    expect(await project.read("generated/hello.py")).toContain("answer ");
    expect(await row(list, "prompts/hello.md").textContent()).toMatch(/llm.*test-model.*\d+ ms/);

    // `pc build` in another terminal: the list follows the lock.
    const run = await runPc(["build", "prompts/sum.md"], { cwd: project.root, env: { PC_BASE_URL: server.baseURL } });
    expect(run.code, run.stderr).toBe(0);
    await eventually(() => row(list, "prompts/sum.md").getAttribute("data-state")).toBe("fresh");
    await eventually(() => row(list, "prompts/report.md").getAttribute("data-state")).toBe("new");

    // Filter and search.
    await list.getByRole("button", { name: /^fresh 2$/ }).click();
    expect(await list.locator("tr[data-prompt]").count()).toBe(2);
    await list.getByRole("button", { name: /^all 3$/ }).click();
    await list.getByRole("searchbox").fill("report");
    expect(await list.locator("tr[data-prompt]").count()).toBe(1);
    await list.getByRole("searchbox").fill("");
    await screenshot(list, project, "ui-list");

    // "Build what changed" builds what pc build would: only report.md, which was new.
    const asked = server.chatRequests().length;
    await list.getByRole("button", { name: "Build what changed" }).click();
    await list.getByRole("status").getByText("1 built").waitFor();
    await eventually(() => row(list, "prompts/report.md").getAttribute("data-state")).toBe("fresh");
    expect(server.chatRequests()).toHaveLength(asked + 1);
    await list.close();
    await page.close();
  });

  it("copies the rendered prompt, previews a pasted answer, accepts it, and compares two generations side by side", async () => {
    const ui = await openProject(["prompts/hello.md"]);
    const page = await browser.context.newPage();
    const origin = ui.url.replace(/\/\?.*/, "");
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
    await page.goto(ui.url);
    await page.getByRole("link", { name: "prompts/hello.md" }).click();
    await page.getByRole("button", { name: "Copy" }).click();
    await page.getByText("Copied:").waitFor();
    const expected = (await render({ cwd: project.root, prompt: "prompts/hello.md" })).text;
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(expected);
    expect(await page.getByTestId("rendered").textContent()).toBe(expected);

    // The chat's answer: preview shows the file as pc accept would write it, and nothing is written yet.
    const code = 'def hello():\n    print("hello from the chat")\n';
    const before = await project.read("generated/hello.py");
    await page
      .getByLabel("Answer", { exact: true })
      .fill(`Sure! Here it is:\n\n${fencedAnswer(code, "python")}\n\nEnjoy.`);
    await page.getByLabel("Answer label").fill("chatgpt web");
    await page.getByRole("button", { name: "Preview" }).click();
    expect(await page.locator('pre[data-file="generated/hello.py"]').textContent()).toBe(code);
    expect(await project.read("generated/hello.py")).toBe(before);
    await page.getByRole("button", { name: "Accept" }).click();
    await page.getByText(/^Accepted: generated\/hello\.py written/).waitFor();
    expect(await project.read("generated/hello.py")).toBe(code);
    const entry = (await project.lock()).prompts["prompts/hello.md"]!;
    expect([entry.source, entry.label]).toEqual(["chat", "chatgpt web"]);

    // Two generations now (the model's, the chat's): compare the older with the newer.
    await eventually(() => page.locator("tr[data-generation]").count()).toBe(2);
    await page.getByRole("button", { name: "Compare", exact: true }).click();
    const diff = page.getByTestId("diff");
    await diff.waitFor();
    expect(await diff.locator("td.removed").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining("# answer ")]),
    );
    expect(await diff.locator("td.added").allTextContents()).toEqual([
      "def hello():",
      '    print("hello from the chat")',
    ]);
    await screenshot(page, project, "ui-prompt");
    await page.close();
  });

  it("regenerates with another seed and shows the difference before anything is written; verifies the prompt", async () => {
    const ui = await openProject(["prompts/sum.md"]);
    const page = await browser.context.newPage();
    await page.goto(ui.url);
    await page.getByRole("link", { name: "prompts/sum.md" }).click();
    const before = await project.read("generated/sum.py");
    const lock = await project.read("promptfile.lock");
    await page.getByLabel("Seed").fill("7");
    await page.getByRole("button", { name: "Regenerate and compare" }).click();
    const diff = page.getByTestId("diff");
    await diff.waitFor();
    expect(await diff.locator(".diff-labels").textContent()).toContain("seed 7");
    expect(await diff.locator("td.added").allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining("seed 7")]),
    );
    expect(await project.read("generated/sum.py")).toBe(before);
    expect(await project.read("promptfile.lock")).toBe(lock);

    // Verify regenerates with the prompt's own pins, writes nothing, and finds the recorded bytes again.
    const asked = server.chatRequests().length;
    await page.getByRole("button", { name: "Verify" }).click();
    await page
      .locator("section.actions pre")
      .getByText(/^reproducible/)
      .waitFor();
    expect(server.chatRequests()).toHaveLength(asked + 1);
    expect(await project.read("promptfile.lock")).toBe(lock);
    await page.close();
  });

  it("draws the dependency graph with the bundled Mermaid, offline", async () => {
    const ui = await openProject();
    const page = await browser.context.newPage();
    const foreign: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(ui.url.replace(/\/\?.*/, ""))) foreign.push(r.url());
    });
    await page.goto(ui.url);
    await page.getByRole("link", { name: "Graph" }).click();
    await page.getByTestId("graph").locator("svg").waitFor();
    expect(await page.getByTestId("graph").textContent()).toContain("prompts/report.md");
    expect(foreign).toEqual([]);
    await screenshot(page, project, "ui-graph");
    await page.close();
  });
});

describe.skipIf(missing)("pc ui's list of many prompts", () => {
  let project: TempProject;
  let ui: UiServer;
  let browser: Browser;
  const name = (i: number) => `prompts/p${String(i).padStart(3, "0")}.md`;

  beforeAll(async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[name(i)] = promptFile({ output: `generated/p${i}.py` });
    project = await makeProject(files);
    ui = await startUi({ cwd: project.root });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await ui?.close();
    await cleanupProjects();
  });

  it("draws the rows on screen and the others as the page scrolls to them", async () => {
    const page = await browser.context.newPage();
    await page.goto(ui.url);
    await page.getByText("300 prompts.").waitFor();
    const drawn = await page.locator("tr[data-prompt]").count();
    expect(drawn).toBeGreaterThan(10);
    expect(drawn).toBeLessThan(300);
    expect(await page.locator(`tr[data-prompt="${name(299)}"]`).count()).toBe(0);
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.locator(`tr[data-prompt="${name(299)}"]`).waitFor();
    expect(await page.locator(`tr[data-prompt="${name(0)}"]`).count()).toBe(0);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.locator(`tr[data-prompt="${name(0)}"]`).waitFor();
    await page.close();
  });
});

if (missing) it.skip(`pc ui in a browser: skipped, ${missing}`, () => {});
