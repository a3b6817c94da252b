import { afterEach, describe, expect, it } from "vitest";
import { makeProject, cleanupProjects } from "../support/project.js";

afterEach(cleanupProjects);

describe("the pc command line", () => {
  it("exits 2 for an unknown command, saying how to get help", async () => {
    const project = await makeProject();
    const result = await project.run(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toContain('unknown command "frobnicate"');
    expect(result.stderr).toContain("pc --help");
  });

  it("exits 2 for an unknown option and a missing argument", async () => {
    const project = await makeProject();
    const option = await project.run(["status", "--jsn"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain("--jsn");
    const argument = await project.run(["render"]);
    expect(argument.code).toBe(2);
  });

  it("--help lists every command and exits 0", async () => {
    const project = await makeProject();
    const result = await project.run(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["init", "status", "check", "render"])
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
  });
});
