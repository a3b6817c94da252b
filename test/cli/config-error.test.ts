import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { makeProject } from "../support/project.js";

describe("a wrong pc.config.json", () => {
  it("names every key and a schema file that exists, not a path inside the user's project", async () => {
    const project = await makeProject({
      "prompts/.keep": "",
      "pc.config.json": JSON.stringify({ basUrl: "http://127.0.0.1:11434/v1" }),
    });
    const result = await project.run(["status"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown key "basUrl": did you mean "baseUrl"?');
    for (const key of ["prompts", "exclude", "baseUrl", "timeout", "retries", "jobs", "threads", "contextSize"]) {
      expect(result.stderr).toContain(key);
    }
    const url = /file:\/\/\S+config\.schema\.json/.exec(result.stderr)?.[0];
    expect(url, result.stderr).toBeDefined();
    const schema = fileURLToPath(url!);
    expect(existsSync(schema)).toBe(true);
    expect(JSON.parse(readFileSync(schema, "utf8")).title).toBe("pc.config.json");
    expect(existsSync(project.path("schemas"))).toBe(false);
  });
});
