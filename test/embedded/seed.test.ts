import { afterAll, describe, expect, it } from "vitest";
import { cleanupProjects } from "../support/project.js";
import { tinyProject } from "../support/tiny-project.js";

afterAll(cleanupProjects);

describe("pc seed on the embedded engine (real llama.cpp, tiny model)", () => {
  it("pins the first seed whose answer passes the check; the build restores it and pc verify reproduces it", async () => {
    // Passes only for short answers: some seeds of the tiny model stop early, most do not.
    const project = await tinyProject({
      "a.md": { output: "generated/out.txt", seed: 1, check: "test $(wc -c < generated/out.txt) -lt 30" },
    });

    const search = await project.run(["seed", "prompts/a.md", "--try", "6", "--threads", "1"]);
    expect(search.code).toBe(0);
    const verdicts = search.stdout
      .split("\n")
      .filter((l) => /^\d+ +(pass|fail)/.test(l))
      .map((l) => l.split(/\s+/).slice(0, 2).join(" "));
    expect(verdicts).toEqual(["1 fail", "2 pass", "3 fail", "4 fail", "5 pass", "6 fail"]);

    const pinned = await project.run(["seed", "prompts/a.md", "--pin", "--threads", "1"]);
    expect(pinned.code).toBe(0);
    expect(pinned.stdout).toMatch(/pinned seed 2 in prompts\/a\.md \(cached, from the cache\)/);
    expect(await project.read("prompts/a.md")).toMatch(/^seed: 2$/m);
    const entry = (await project.lock()).prompts["prompts/a.md"]!;
    expect(entry).toMatchObject({ seed: 2, source: "cache", checks: { passed: true } });

    const verify = await project.run(["verify", "--threads", "1"]);
    expect(verify.stdout).toMatch(/✓ reproducible prompts\/a\.md → generated\/out\.txt/);
    expect(verify.code).toBe(0);
  }, 180_000);
});
