// Prompt text as editors and checkouts really write it: a BOM, CRLF line endings (git autocrlf on
// Windows), and a very large body. None of them is an error, and line endings change nothing.
import { promises as fsp } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runPc } from "../support/pc.js";
import { removeProject, readLockJson, makeProject } from "../support/project.js";
import { promptFile } from "../support/prompt.js";
import { testServer, useTestServer } from "../support/test-server.js";

const server = useTestServer();
const created: string[] = [];

afterAll(async () => {
  await Promise.all(created.map(removeProject));
});

describe("prompt encodings", () => {
  it("a BOM and CRLF line endings (a Windows checkout) leave a built prompt fresh and build the same request", async () => {
    const prompt = promptFile({
      output: "generated/app.py",
      context: ["src/spec.md"],
      body: "Write the app.\nFollow the spec.",
    });
    const root = (await makeProject({ "prompts/app.md": prompt, "src/spec.md": "# Spec\n\n- one\n- two\n" })).root;
    created.push(root);
    expect((await runPc(["build", "--base-url", server.baseURL], { cwd: root })).code).toBe(0);
    const lfRequest = server.chatRequests()[0]!.rawBody;

    const crlf = (text: string) => text.replace(/\n/g, "\r\n");
    await fsp.writeFile(path.join(root, "prompts/app.md"), `\uFEFF${crlf(prompt)}`);
    await fsp.writeFile(path.join(root, "src/spec.md"), crlf("# Spec\n\n- one\n- two\n"));
    const check = await runPc(["check"], { cwd: root });
    expect(check.code, check.stdout + check.stderr).toBe(0);

    // Forced past the cache, the request is byte-identical to the one made from LF files.
    server.reset();
    expect((await runPc(["build", "--force", "--no-cache", "--base-url", server.baseURL], { cwd: root })).code).toBe(0);
    expect(server.chatRequests()[0]!.rawBody).toBe(lfRequest);
  });

  it("a 5 MB body is rendered, sent once and recorded", async () => {
    const line = "Use the following table of constants exactly as given, one per line, no rounding.\n";
    const body = line.repeat(Math.ceil((5 * 1024 * 1024) / line.length));
    const root = (await makeProject({ "prompts/big.md": promptFile({ output: "generated/big.py", body }) })).root;
    created.push(root);
    const large = await testServer({ nCtx: 2_000_000 }); // a context that holds its 1.3 million tokens
    const run = await runPc(["build", "--base-url", large.baseURL], { cwd: root });
    expect(run.code, run.stderr).toBe(0);
    const requests = large.chatRequests().filter((r) => r.rawBody.includes("generated/big.py"));
    expect(requests).toHaveLength(1);
    expect(requests[0]!.rawBody.length).toBeGreaterThan(5 * 1024 * 1024);
    expect(Object.keys((await readLockJson(root)).prompts)).toEqual(["prompts/big.md"]);
    expect((await runPc(["check"], { cwd: root })).code).toBe(0);
  });
});
