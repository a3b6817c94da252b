import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { parseConfig } from "../../src/util/config.js";
import { PcError } from "../../src/util/errors.js";
import { parseLock } from "../../src/lock/lockfile.js";
import { parsePrompt } from "../../src/prompt/frontmatter.js";

// The built pc validates with validators precompiled from schemas/ (dist/util/schema-validators.cjs);
// the library run from source compiles the schemas with ajv. A user must get the same message.
const cli = path.resolve("dist/cli.js");
const temp = mkdtempSync(path.join(tmpdir(), "pc-schemas-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const HASH = `sha256:${"a".repeat(64)}`;
const entry = {
  version: 1,
  model: "m",
  seed: 1,
  temperature: 0,
  inputHash: HASH,
  requestHash: HASH,
  protocol: 1,
  sampling: {},
  inputs: { "prompts/a.md": HASH },
  outputs: { "generated/a.py": HASH },
  source: "llm",
};
const cases = {
  "a lock with a bad seed": {
    file: "promptfile.lock",
    text: JSON.stringify({ lockfileVersion: 1, prompts: { "prompts/a.md": { ...entry, seed: "x" } } }),
    parse: parseLock,
  },
  "a lock with a malformed hash": {
    file: "promptfile.lock",
    text: JSON.stringify({ lockfileVersion: 1, prompts: { "prompts/a.md": { ...entry, inputHash: "md5:1" } } }),
    parse: parseLock,
  },
  "a config with a misspelt key and a bad value": {
    file: "pc.config.json",
    text: JSON.stringify({ prompts: ["prompts/**/*.md"], retires: 2, timeout: -1 }),
    parse: parseConfig,
  },
  "a prompt with a bad temperature": {
    file: "prompts/a.md",
    text: "---\nversion: 1\nmodel: m\nseed: 1\ntemperature: 9\noutput: generated/a.py\n---\nWrite a.\n",
    parse: (text: string) => parsePrompt("prompts/a.md", text),
  },
};

describe("precompiled schema validators", () => {
  it("are part of the build", () => {
    expect(existsSync(path.resolve("dist/util/schema-validators.cjs"))).toBe(true);
  });

  for (const [name, c] of Object.entries(cases)) {
    it(`report ${name} exactly as ajv does`, async () => {
      const root = path.join(temp, name.replaceAll(" ", "-"));
      mkdirSync(path.join(root, "prompts"), { recursive: true });
      writeFileSync(path.join(root, c.file), c.text);
      let expected = "";
      try {
        c.parse(c.text);
      } catch (error) {
        expected = (error as PcError).message;
      }
      expect(expected).not.toBe("");
      const result = await promisify(execFile)(process.execPath, [cli, "status"], { cwd: root }).catch(
        (e: { stdout: string; stderr: string }) => e,
      );
      expect(`${result.stdout}${result.stderr}`).toContain(expected);
    });
  }
});
