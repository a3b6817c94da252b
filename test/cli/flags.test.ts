import { describe, expect, it } from "vitest";
import { normalizeFlags } from "../../src/cli/flags.js";
import { PcError } from "../../src/util/errors.js";

/** The PcError normalizeFlags throws for these raw values, as `message (code)`. */
function refusal(raw: Record<string, unknown>, uses: Parameters<typeof normalizeFlags>[1], args: string[] = []) {
  try {
    normalizeFlags(raw, uses, args);
  } catch (error) {
    if (error instanceof PcError) return `${error.message} (${error.code})`;
    throw error;
  }
  throw new Error("normalizeFlags accepted the values");
}

describe("normalizeFlags", () => {
  it("gives each flag as its typed option, and leaves out the flags not given", () => {
    const flags = normalizeFlags(
      { jobs: "2", timeout: 30, baseUrl: "http://127.0.0.1:1/v1", force: true, cache: false, dryRun: undefined },
      ["jobs", "timeout", "retries", "baseUrl", "force", "cache", "dryRun"],
      [],
    );
    expect(flags).toEqual({ jobs: 2, timeout: 30, baseUrl: "http://127.0.0.1:1/v1", force: true, cache: false });
  });

  it("reads whole numbers within their range, and says which flag is wrong and why", () => {
    expect(normalizeFlags({ retries: 0, keep: "0", port: 0 }, ["retries", "keep", "port"], [])).toEqual({
      retries: 0,
      keep: 0,
      port: 0,
    });
    expect(refusal({ jobs: 0 }, ["jobs"])).toBe('--jobs must be a whole number >= 1, got "0" (PC_USAGE)');
    expect(refusal({ retries: -1 }, ["retries"])).toBe('--retries must be a whole number >= 0, got "-1" (PC_USAGE)');
    expect(refusal({ timeout: 1.5 }, ["timeout"])).toBe('--timeout must be a whole number >= 1, got "1.5" (PC_USAGE)');
    expect(refusal({ try: "ten" }, ["tries"])).toBe('--try must be a whole number >= 1, got "ten" (PC_USAGE)');
  });

  it("reads a seed of either sign, and a temperature as any finite number", () => {
    expect(normalizeFlags({ seed: -7, temperature: "0.7" }, ["seed", "temperature"], [])).toEqual({
      seed: -7,
      temperature: 0.7,
    });
    expect(refusal({ seed: 1.5 }, ["seed"])).toBe('--seed must be a whole number, got "1.5" (PC_USAGE)');
    expect(refusal({ from: 2 ** 60 }, ["from"])).toMatch(/^--from must be a whole number/);
    expect(refusal({ temperature: "" }, ["temperature"])).toBe('--temperature must be a number, got "" (PC_USAGE)');
    expect(refusal({ temperature: true }, ["temperature"])).toBe(
      '--temperature must be a number, got "true" (PC_USAGE)',
    );
  });

  it("takes a format only among its command's choices", () => {
    expect(normalizeFlags({ format: "dot" }, ["graphFormat"], [])).toEqual({ graphFormat: "dot" });
    expect(refusal({ format: "dot" }, ["renderFormat"])).toBe(
      '--format must be one of markdown, text, json, got "dot" (PC_USAGE)',
    );
  });

  it("takes a --metrics file only with the .prom name node_exporter reads", () => {
    expect(normalizeFlags({ metrics: "out/pc.prom" }, ["metrics"], [])).toEqual({ metrics: "out/pc.prom" });
    expect(refusal({ metrics: "pc.txt" }, ["metrics"])).toBe(
      '--metrics writes a Prometheus textfile, whose name ends in .prom; got "pc.txt" (PC_USAGE)',
    );
    // cac reads an empty value as 0.
    expect(refusal({ metrics: 0 }, ["metrics"], ["build", "--metrics", ""])).toBe(
      "--metrics needs a file name (PC_USAGE)",
    );
  });

  it("keeps --against exactly as typed, where cac would have made a number of it", () => {
    expect(normalizeFlags({ against: 123 }, ["against"], ["diff", "p.md", "--against", "0123"])).toEqual({
      against: "0123",
    });
    expect(normalizeFlags({ against: 5 }, ["against"], ["diff", "--against=005"])).toEqual({ against: "005" });
  });

  it("trims a --model label and refuses an empty one", () => {
    expect(normalizeFlags({ model: "  chatgpt web " }, ["label"], [])).toEqual({ label: "chatgpt web" });
    expect(refusal({ model: "   " }, ["label"])).toBe('--model needs a label, e.g. --model "chatgpt web" (PC_USAGE)');
    expect(normalizeFlags({ model: 4 }, ["model"], [])).toEqual({ model: "4" });
  });
});
