import { describe, expect, it } from "vitest";
import { PcError } from "../../src/util/errors.js";
import { parsePrompt } from "../../src/prompt/frontmatter.js";

const FILE = "prompts/app.md";
const PINS = "version: 1\nmodel: qwen2.5-coder:7b\nseed: 42\ntemperature: 0";

/** A prompt with the four pins, the given extra frontmatter lines and body. */
function source(extra: string, body = "Write it.\n", pins = PINS): string {
  return `---\n${pins}\n${extra}\n---\n${body}`;
}

/** The PcError parsePrompt throws for `text`. */
function parseError(text: string): PcError {
  try {
    parsePrompt(FILE, text);
  } catch (error) {
    expect(error).toBeInstanceOf(PcError);
    return error as PcError;
  }
  throw new Error("expected parsePrompt to throw");
}

describe("parsing a prompt file", () => {
  it("reads the pins, the output and the body, and says where the body starts", () => {
    const prompt = parsePrompt(FILE, source("output: generated/app.py", "Line one.\nLine two.\n"));
    expect(prompt.frontmatter).toEqual({
      version: 1,
      model: "qwen2.5-coder:7b",
      seed: 42,
      temperature: 0,
      output: "generated/app.py",
    });
    expect(prompt.outputs).toEqual(["generated/app.py"]);
    expect(prompt.body).toBe("Line one.\nLine two.\n");
    expect(prompt.bodyLine).toBe(8);
  });

  it("lists several outputs given as `outputs`", () => {
    const prompt = parsePrompt(FILE, source("outputs: [generated/a.py, generated/b.py]"));
    expect(prompt.outputs).toEqual(["generated/a.py", "generated/b.py"]);
  });

  it("reads a file saved with a BOM and CRLF line endings like the same file with LF", () => {
    const lf = source("output: generated/app.py\nsystem: |\n  Be brief.\n  Use tabs.", "Line one.\nLine two.\n");
    const crlf = `\uFEFF${lf.replace(/\n/g, "\r\n")}`;
    const fromCrlf = parsePrompt(FILE, crlf);
    expect(fromCrlf).toEqual(parsePrompt(FILE, lf));
    expect(fromCrlf.frontmatter.system).toBe("Be brief.\nUse tabs.\n");
    expect(fromCrlf.body).not.toContain("\r");
  });

  it("accepts JSON frontmatter", () => {
    const prompt = parsePrompt(
      FILE,
      '---json\n{"version": 2, "model": "m", "seed": 1, "temperature": 0.5, "output": "a.py"}\n---\nBody',
    );
    expect(prompt.frontmatter.version).toBe(2);
    expect(prompt.outputs).toEqual(["a.py"]);
  });

  it("reports invalid YAML with the line of the file it is on", () => {
    const error = parseError("---\nversion: 1\nmodel: [qwen\nseed: 42\ntemperature: 0\noutput: a.py\n---\nBody");
    expect(error.code).toBe("PC_FRONTMATTER_INVALID");
    expect(error.message).toMatch(/not valid YAML/);
    expect(error.file).toBe(FILE);
    expect(error.line).toBeGreaterThanOrEqual(3);
    expect(error.line).toBeLessThanOrEqual(5);
  });

  it("reports bad indentation at its exact line", () => {
    const error = parseError("---\nversion: 1\nmodel: m\nseed: 42\n  temperature: 0\noutput: a.py\n---\nBody");
    expect(error.message).toMatch(/not valid YAML/);
    expect(error.line).toBe(5);
    expect(error.format()).toMatch(/^prompts\/app\.md:5: /);
  });

  it("refuses a duplicated key instead of keeping one of the values", () => {
    const error = parseError(source("seed: 7\noutput: a.py"));
    expect(error.code).toBe("PC_FRONTMATTER_INVALID");
    expect(error.message).toMatch(/duplicated mapping key/);
    expect(error.line).toBe(6);
  });

  it.each(["js", "javascript", " js", "JS"])("refuses ---%s frontmatter and never evaluates it", (language) => {
    const marker = `pcEvaluated_${Math.random().toString(36).slice(2)}`;
    const text = `---${language}\n(globalThis["${marker}"] = true, {version: 1, model: "m", seed: 1, temperature: 0, output: "a.py"})\n---\nBody`;
    const error = parseError(text);
    expect(error.code).toBe("PC_FRONTMATTER_JS");
    expect(error.line).toBe(1);
    expect(error.hint).toMatch(/YAML/);
    expect((globalThis as Record<string, unknown>)[marker]).toBeUndefined();
  });

  it("refuses frontmatter in another language", () => {
    const error = parseError("---coffee\nversion: 1\n---\nBody");
    expect(error.code).toBe("PC_FRONTMATTER_INVALID");
    expect(error.message).toMatch(/unsupported language "coffee"/);
  });

  it("refuses YAML tags that would build JavaScript values", () => {
    const error = parseError(source('output: a.py\nvars: {f: !!js/function "function () { return 1 }"}'));
    expect(error.code).toBe("PC_FRONTMATTER_INVALID");
  });

  it("refuses a file without frontmatter, showing what it found and a valid example", () => {
    const error = parseError("Write a script that prints hello.\n");
    expect(error.message).toMatch(/has no frontmatter/);
    expect(error.line).toBe(1);
    expect(error.hint).toContain("Found: Write a script that prints hello.");
    expect(error.hint).toContain("temperature: 0");
  });

  it("refuses frontmatter that is never closed", () => {
    expect(parseError(`---\n${PINS}\noutput: a.py\nBody`).message).toMatch(/no closing ---/);
  });

  it("refuses frontmatter that is not a mapping", () => {
    expect(parseError("---\n- a\n- b\n---\nBody").message).toMatch(/must be a mapping/);
  });

  it("refuses both output and outputs, pointing at outputs", () => {
    const error = parseError(source("output: a.py\noutputs: [b.py]"));
    expect(error.message).toBe('set either "output" or "outputs", not both');
    expect(error.key).toBe("outputs");
    expect(error.line).toBe(7);
  });

  it("refuses a prompt with neither output nor outputs, in one clear sentence", () => {
    const error = parseError(source(""));
    expect(error.message).toBe('missing "output" (one file) or "outputs" (a list of files)');
    expect(error.key).toBe("output");
  });

  it("refuses an empty outputs list and a repeated output", () => {
    expect(parseError(source("outputs: []")).key).toBe("outputs");
    expect(parseError(source("outputs: [a.py, a.py]")).message).toMatch(/outputs .*duplicate/);
  });
});

describe("validating the frontmatter", () => {
  it("names an unknown key, its line, and the key it probably meant", () => {
    const error = parseError(source("output: a.py\ntemprature: 0.2", "Body", "version: 1\nmodel: m\nseed: 42"));
    expect(error.code).toBe("PC_FRONTMATTER_INVALID");
    expect(error.key).toBe("temprature");
    expect(error.line).toBe(6);
    expect(error.message).toMatch(/^unknown key "temprature": did you mean "temperature"\?/);
    expect(error.message).toContain('missing required key "temperature"');
  });

  it("knows the sampler pins: a misspelt one gets the sampler's name, a bad value its range", () => {
    expect(parseError(source("output: a.py\nminp: 0.05")).message).toMatch(
      /^unknown key "minp": did you mean "min_p"\?/,
    );
    expect(parseError(source("output: a.py\nrepeat-penalty: 1.1")).message).toMatch(/did you mean "repeat_penalty"\?/);
    expect(parseError(source("output: a.py\nmin_p: 2")).key).toBe("min_p");
    expect(parseError(source("output: a.py\nthink: maybe")).key).toBe("think");
    expect(parseError(source("output: a.py\nmirostat: 3")).key).toBe("mirostat");
  });

  it("suggests nothing for an unknown key that resembles no key", () => {
    const error = parseError(source("output: a.py\nbanana: 1"));
    expect(error.message).toBe('unknown key "banana"');
  });

  it.each([
    ["version: one", "version", "version must be integer"],
    ["version: 0", "version", "version must be >= 1"],
    ["model: 7", "model", "model must be string"],
    ["seed: 1.5", "seed", "seed must be integer"],
    ["temperature: hot", "temperature", "temperature must be number"],
  ])("refuses a pin of the wrong type or range (%s)", (line, key, message) => {
    const pins = PINS.split("\n")
      .map((l) => (l.startsWith(`${key}:`) ? line : l))
      .join("\n");
    const error = parseError(source("output: a.py", "Body", pins));
    expect(error.key).toBe(key);
    expect(error.message).toBe(message);
    expect(error.line).toBe(PINS.split("\n").findIndex((l) => l.startsWith(`${key}:`)) + 2);
  });

  it.each([
    ["2.01", "temperature must be <= 2"],
    ["-0.1", "temperature must be >= 0"],
  ])("refuses temperature %s (the range is 0 to 2)", (value, message) => {
    const error = parseError(source("output: a.py", "Body", PINS.replace("temperature: 0", `temperature: ${value}`)));
    expect(error.message).toBe(message);
    expect(error.line).toBe(5);
  });

  it("accepts both ends of the temperature range", () => {
    for (const value of [0, 2]) {
      expect(
        parsePrompt(FILE, source("output: a.py", "Body", PINS.replace("temperature: 0", `temperature: ${value}`)))
          .frontmatter.temperature,
      ).toBe(value);
    }
  });

  it("names every missing required key", () => {
    const error = parseError("---\nmodel: m\noutput: a.py\n---\nBody");
    expect(error.message).toBe(
      'missing required key "version"; missing required key "seed"; missing required key "temperature"',
    );
    expect(error.key).toBe("version");
  });

  it.each([
    ["context: src/a.ts", "context", "context must be array"],
    ["extract: code", "extract", "extract must be equal to one of the allowed values (fenced, raw)"],
    ["format: yes please", "format", "format must be boolean"],
    ["vars: [1, 2]", "vars", "vars must be object"],
    ["max_tokens: 0", "max_tokens", "max_tokens must be >= 1"],
    ["top_p: 0", "top_p", "top_p must be > 0"],
  ])("refuses an optional key of the wrong shape (%s)", (line, key, message) => {
    const error = parseError(source(`output: a.py\n${line}`));
    expect(error.key).toBe(key);
    expect(error.message).toBe(message);
    expect(error.line).toBe(7);
  });

  it("refuses extract: raw with several outputs", () => {
    const error = parseError(source("outputs: [a.py, b.py]\nextract: raw"));
    expect(error.key).toBe("extract");
    expect(error.message).toMatch(/needs a single "output"/);
  });

  it("accepts every optional key", () => {
    const prompt = parsePrompt(
      FILE,
      source(
        'output: a.py\ncontext: [src/*.ts]\nsystem: Be brief.\nmax_tokens: 100\ntop_p: 0.9\ntop_k: 40\nstop: ["END"]\nformat: false\nvars: {name: x}\nextract: raw\ndescription: An app.',
      ),
    );
    expect(prompt.frontmatter).toMatchObject({
      top_k: 40,
      stop: ["END"],
      format: false,
      vars: { name: "x" },
      extract: "raw",
    });
  });

  it("puts where, what and how to fix in the formatted message", () => {
    const text = parseError(source("output: a.py\nsead: 1")).format();
    expect(text.split("\n")[0]).toBe('prompts/app.md:7: unknown key "sead": did you mean "seed"?');
    expect(text).toContain("A valid prompt:");
  });
});

describe("output paths", () => {
  it("are normalized, so one file has one name", () => {
    expect(parsePrompt(FILE, source("outputs: [./generated/a.py, generated/x/../b.py]")).outputs).toEqual([
      "generated/a.py",
      "generated/b.py",
    ]);
  });

  it("may not name one file twice", () => {
    const error = parseError(source("outputs: [generated/a.py, generated/./a.py]"));
    expect(error.message).toBe('outputs lists "generated/a.py" twice');
    expect(error.key).toBe("outputs");
  });
});

describe("what a user writes at the edges", () => {
  it.each([
    ["vesion", "version"],
    ["modle", "model"],
    ["outptu", "output"],
    ["ouputs", "outputs"],
    ["contxt", "context"],
    ["sytem", "system"],
    ["max_token", "max_tokens"],
    ["thnk", "think"],
    ["num_cxt", "num_ctx"],
    ["stpo", "stop"],
    ["fromat", "format"],
    ["var", "vars"],
    ["extrac", "extract"],
    ["descripton", "description"],
    ["chek", "check"],
    ["check_input", "check_inputs"],
    ["check_timout", "check_timeout"],
  ])("a misspelt %s is named with the key it meant, %s", (typo, key) => {
    const error = parseError(source(`output: a.py\n${typo}: 1`));
    expect(error.message).toMatch(new RegExp(`^unknown key "${typo}": did you mean "${key}"\\?`));
    expect(error.line).toBe(7);
  });

  it("a misspelt key is reported first, before a bad value above it", () => {
    const error = parseError(
      source("output: a.py\nsytem: Be terse.", "Body", 'version: 1\nmodel: m\nseed: "x"\ntemperature: 0'),
    );
    expect(error.message).toMatch(/^unknown key "sytem": did you mean "system"\?; /);
    expect(error.message).toContain("seed");
    expect(error.key).toBe("sytem");
  });

  it("a missing key is reported at the frontmatter's first line", () => {
    const error = parseError("---\nversion: 1\nmodel: m\nseed: 42\ntemperature: 0\n---\nBody");
    expect(error.key).toBe("output");
    expect(error.line).toBe(2);
  });

  it("a bad value in JSON frontmatter is reported at its own line", () => {
    const error = parseError(
      '---json\n{\n"version": 1,\n"model": "m",\n"seed": "x",\n"temperature": 0,\n"output": "a.py"\n}\n---\nBody',
    );
    expect(error.key).toBe("seed");
    expect(error.line).toBe(5);
  });

  it("JSON frontmatter that does not parse is refused as such, without a line pc cannot know", () => {
    const error = parseError('---json\n{"version": 1,\n---\nBody');
    expect(error.code).toBe("PC_FRONTMATTER_INVALID");
    expect(error.message).toMatch(/^frontmatter is not valid YAML: /);
    expect(error.line).toBeUndefined();
  });

  it("the YAML parser's own reason is the message", () => {
    const error = parseError("---\nversion: 1\n  model: m\n---\nBody");
    expect(error.message).toBe("frontmatter is not valid YAML: bad indentation of a mapping entry");
  });

  it("---yaml and ---json are YAML and JSON; any other language is refused at line 1 with the two that work", () => {
    expect(parsePrompt(FILE, `---yaml\n${PINS}\noutput: a.py\n---\nBody`).outputs).toEqual(["a.py"]);
    const error = parseError(`---toml\n${PINS}\noutput: a.py\n---\nBody`);
    expect(error.message).toBe('has frontmatter in an unsupported language "toml"');
    expect(error.hint).toBe("Use YAML (---) or JSON (---json).");
    expect(error.line).toBe(1);
    const js = parseError(`---javascript\n${PINS}\noutput: a.py\n---\nBody`);
    expect(js.code).toBe("PC_FRONTMATTER_JS");
    expect(js.message).toBe("asks for JavaScript frontmatter (---javascript), which is never evaluated");
  });

  it("text before the opening --- means the file has no frontmatter", () => {
    const error = parseError(`# App\n---\n${PINS}\noutput: a.py\n---\nBody`);
    expect(error.message).toMatch(/^has no frontmatter/);
    expect(error.line).toBe(1);
  });

  it("the closing --- may carry trailing spaces, or end the file; a never-closed block is named at line 1", () => {
    expect(parsePrompt(FILE, `---\n${PINS}\noutput: a.py\n---  \nBody`).outputs).toEqual(["a.py"]);
    expect(parsePrompt(FILE, `---\n${PINS}\noutput: a.py\n---`).body).toBe("");
    const error = parseError(`---\n${PINS}\noutput: a.py\n`);
    expect(error.message).toBe("has no closing --- line after its frontmatter");
    expect(error.line).toBe(1);
  });

  it("an empty frontmatter block is closed; it lacks every pin", () => {
    const error = parseError("---\n---\nBody");
    expect(error.message).not.toContain("closing");
    expect(error.message).toContain("version");
  });

  it("a list or a single value is no mapping, reported at line 2", () => {
    for (const block of ["- version: 1\n- model: m", "42"]) {
      const error = parseError(`---\n${block}\n---\nBody`);
      expect(error.message).toBe("frontmatter must be a mapping of keys to values");
      expect(error.line).toBe(2);
    }
  });

  it("lone carriage returns end lines; a byte-order mark is dropped only at the start", () => {
    const prompt = parsePrompt(FILE, `---\r${PINS.replaceAll("\n", "\r")}\routput: a.py\r---\rBody\r`);
    expect(prompt.outputs).toEqual(["a.py"]);
    expect(prompt.body).toBe("Body\n");
    expect(parsePrompt(FILE, source("output: a.py", "A\uFEFFB\n")).body).toBe("A\uFEFFB\n");
  });

  it("extract: raw takes a list of one output; a repeated output names the outputs key", () => {
    expect(parsePrompt(FILE, source("outputs: [notes/a.txt]\nextract: raw")).outputs).toEqual(["notes/a.txt"]);
    const error = parseError(source("outputs: [a.py, ./a.py]"));
    expect(error.key).toBe("outputs");
    expect(error.line).toBe(6);
  });
});
