/**
 * The built pc loads openai, gray-matter, proper-lockfile and tinyglobby from the one-file bundles
 * `npm run build` makes (dist/vendor/, scripts/bundle-vendor.mjs), and each bundle works as the package does.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { VENDORED } from "../../src/util/require-cjs.js";

const run = promisify(execFile);
const requireCjs = path.resolve("dist/util/require-cjs.js");

/** Runs an ES module against the built dist/ and returns what it printed as JSON. */
async function inBuiltPc(source: string): Promise<unknown> {
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", source]);
  return JSON.parse(stdout);
}

describe("vendored packages", () => {
  it("has a bundle for every vendored package, and the built pc loads it rather than the package's files", async () => {
    for (const name of VENDORED) expect(existsSync(path.resolve(`dist/vendor/${name}.cjs`)), name).toBe(true);
    const loaded = (await inBuiltPc(`
      import { createRequire } from "node:module";
      import { requireCjs, VENDORED } from ${JSON.stringify(requireCjs)};
      for (const name of VENDORED) requireCjs(name);
      const cache = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify(cache.map((f) => f.split("/").slice(-3).join("/"))));
    `)) as string[];
    expect(loaded.sort()).toEqual(VENDORED.map((name) => `dist/vendor/${name}.cjs`).sort());
  });

  it("works as the packages do: an OpenAI client, safe front matter, globs and the project lock", async () => {
    const result = await inBuiltPc(`
      import { mkdtempSync } from "node:fs";
      import { tmpdir } from "node:os";
      import { requireCjs } from ${JSON.stringify(requireCjs)};
      const { default: OpenAI } = requireCjs("openai");
      const client = new OpenAI({ baseURL: "http://127.0.0.1:9/v1", apiKey: "k", maxRetries: 0 });
      const matter = requireCjs("gray-matter");
      const parsed = matter("---\\nseed: 42\\nlist: [a, b]\\n---\\nbody\\n");
      let unsafe;
      try { matter("---\\nf: !!js/function 'function () { return 1 }'\\n---\\n"); } catch (error) { unsafe = error.name; }
      const { globSync } = requireCjs("tinyglobby");
      const lockfile = requireCjs("proper-lockfile");
      const dir = mkdtempSync(tmpdir() + "/pc-vendor-");
      const release = await lockfile.lock(dir, { realpath: false });
      const locked = await lockfile.check(dir, { realpath: false });
      await release();
      console.log(JSON.stringify({
        chat: typeof client.chat.completions.create,
        data: parsed.data, content: parsed.content, unsafe,
        glob: globSync("src/util/require-cjs.ts", { cwd: ${JSON.stringify(process.cwd())} }),
        locked, released: await lockfile.check(dir, { realpath: false }),
      }));
    `);
    expect(result).toEqual({
      chat: "function",
      data: { seed: 42, list: ["a", "b"] },
      content: "body\n",
      unsafe: "YAMLException", // front matter never runs code
      glob: ["src/util/require-cjs.ts"],
      locked: true,
      released: false,
    });
  });
});
