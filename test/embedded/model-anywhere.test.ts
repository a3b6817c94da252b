// A GGUF model kept outside the project (~/models, an absolute path, the modelsDir of
// pc.config.json), run by the built `pc`: it builds, the lock records the model by its hash and
// carries no absolute path, a changed model file makes the prompt stale, and outputs are still
// refused outside the project.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runPc } from "../support/pc.js";
import { readLockJson, readText, removeProject } from "../support/project.js";
import { tinyModelBytes } from "../support/tiny-gguf.js";
import { tinyProject } from "../support/tiny-project.js";

const MODEL = tinyModelBytes({ seed: 1 });
const sha = (bytes: Uint8Array) => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

let root: string | undefined;
let home: string | undefined;
afterEach(async () => {
  await removeProject(root);
  if (home) await rm(home, { recursive: true, force: true });
  root = home = undefined;
});

/** A project with one prompt pinning `model`, and a home folder (outside it) holding ~/models/tiny.gguf. */
async function setUp(model: string, config?: object) {
  home = await realpath(await mkdtemp(path.join(tmpdir(), "pc-home-")));
  await mkdir(path.join(home, "models"));
  await writeFile(path.join(home, "models/tiny.gguf"), MODEL);
  root = (await tinyProject({ "a.md": { model: model.replace("<home>", home), output: "generated/a.txt" } })).root;
  await rm(path.join(root, "models"), { recursive: true }); // no model in the project
  if (config) await writeFile(path.join(root, "pc.config.json"), JSON.stringify(config));
  return { cwd: root, env: { HOME: home, PC_BASE_URL: undefined } };
}

/** The lock's text names neither the home folder nor the project's folder nor the temp folder. */
async function expectNoAbsolutePath(lockRoot: string) {
  const text = await readText(lockRoot, "promptfile.lock");
  for (const folder of [home!, lockRoot, tmpdir()]) expect(text).not.toContain(folder);
  expect(text).not.toMatch(/"\/|"[A-Za-z]:\\/);
}

describe("a gguf: model outside the project", () => {
  for (const [how, model, config, recorded] of [
    ["under ~", "gguf:~/models/tiny.gguf", undefined, "gguf:~/models/tiny.gguf"],
    ["at an absolute path", "gguf:<home>/models/tiny.gguf", undefined, "gguf:~/models/tiny.gguf"],
    ["in the modelsDir of pc.config.json", "gguf:tiny.gguf", { modelsDir: "~/models" }, "gguf:tiny.gguf"],
  ] as const) {
    it(`${how}: builds, is recorded by its hash with no absolute path, and goes stale when the file changes`, async () => {
      const where = await setUp(model, config);
      const first = await runPc(["build", "--json"], where);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout).prompts[0].outcome).toBe("built");
      const entry = (await readLockJson(root!)).prompts["prompts/a.md"]!;
      expect(entry.model).toBe(recorded);
      expect(Object.keys(entry.inputs)).toEqual(["prompts/a.md"]);
      expect(entry.engine).toMatchObject({ engine: "embedded", fileHash: sha(MODEL), model: recorded });
      await expectNoAbsolutePath(root!);

      const again = await runPc(["build", "--json"], where);
      expect(JSON.parse(again.stdout).prompts[0].outcome).toBe("fresh");
      expect((await runPc(["check"], where)).code).toBe(0);

      await writeFile(path.join(home!, "models/tiny.gguf"), tinyModelBytes({ seed: 2 }));
      const status = await runPc(["status", "--json"], where);
      expect(JSON.parse(status.stdout).prompts[0]).toMatchObject({
        state: "stale",
        reasons: [expect.stringMatching(/^the model changed: .*tiny\.gguf is another file now$/)],
      });
    });
  }

  it("that does not exist is named in the error, with where it was looked for", async () => {
    const where = await setUp("gguf:nowhere.gguf", { modelsDir: "~/models" });
    const run = await runPc(["build"], where);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('model file "nowhere.gguf" does not exist');
    expect(run.stderr).toContain("then in modelsDir (~/models)");
  });

  it("does not open the way for outputs: an output outside the project is still refused", async () => {
    const where = await setUp("gguf:~/models/tiny.gguf");
    await writeFile(
      path.join(root!, "prompts/a.md"),
      (await readText(root!, "prompts/a.md")).replace("output: generated/a.txt", "output: ../escape.txt"),
    );
    const run = await runPc(["build"], where);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("PC_PATH_OUTSIDE_PROJECT");
  });
});
