// The record of each prompt's last failed build (.pc/failures.json): what pc status reads back
// from it, and when pc writes it.
import { stat } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { readFailures, writeFailures } from "../../src/plan/failures.js";
import { cleanupProjects, makeProject } from "../support/project.js";

afterAll(cleanupProjects);

const failure = (n: number) => ({
  inputHash: `sha256:${String(n).repeat(64)}`,
  code: "PC_ANSWER_NO_CODE",
  message: `m${n}`,
});

describe("the failure record", () => {
  it("is read back with only its well-formed records", async () => {
    const project = await makeProject({
      ".pc/failures.json": JSON.stringify({
        "prompts/ok.md": { ...failure(1), extra: "dropped" },
        "prompts/no-hash.md": { code: "X", message: "m" },
        "prompts/number-code.md": { ...failure(2), code: 7 },
        "prompts/no-message.md": { inputHash: "h", code: "X" },
        "prompts/null.md": null,
      }),
    });
    expect(await readFailures(project.root)).toEqual({ "prompts/ok.md": failure(1) });
  });

  it.each([
    ["absent", undefined],
    ["not JSON", "{ truncated"],
    ["an array", "[1, 2]"],
    ["an array of records", JSON.stringify([failure(1)])],
    ["null", "null"],
    ["a string", '"failed"'],
  ])("is empty when the file is %s", async (_what, text) => {
    const project = await makeProject(text === undefined ? {} : { ".pc/failures.json": text });
    expect(await readFailures(project.root)).toEqual({});
  });

  it("is written sorted by prompt, two-space indented, with a final newline", async () => {
    const project = await makeProject();
    await writeFailures(project.root, {
      "prompts/c.md": failure(3),
      "prompts/a.md": failure(1),
      "prompts/b.md": failure(2),
    });
    expect(await project.read(".pc/failures.json")).toBe(
      `${JSON.stringify({ "prompts/a.md": failure(1), "prompts/b.md": failure(2), "prompts/c.md": failure(3) }, null, 2)}\n`,
    );
  });

  it("is not rewritten when unchanged, nor created when nothing failed; emptied when the failures are gone", async () => {
    const project = await makeProject({ ".pc/keep": "" });
    await writeFailures(project.root, {});
    expect(project.exists(".pc/failures.json")).toBe(false);
    await writeFailures(project.root, { "prompts/a.md": failure(1) });
    // An atomic write replaces the file: a rewrite would show as another inode.
    const written = (await stat(project.path(".pc/failures.json"))).ino;
    const text = await project.read(".pc/failures.json");
    await writeFailures(project.root, { "prompts/a.md": failure(1) });
    expect((await stat(project.path(".pc/failures.json"))).ino).toBe(written);
    expect(await project.read(".pc/failures.json")).toBe(text);
    await writeFailures(project.root, {});
    expect(await project.read(".pc/failures.json")).toBe("{}\n");
  });
});
