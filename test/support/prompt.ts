// The one way tests write a prompt file: pins with defaults (version 1, model test-model, seed 42,
// temperature 0, output generated/out.py), any other frontmatter key as a pin, raw YAML lines, a body.

/** A prompt file's frontmatter pins and body. Keys not named here are written as pins too. */
export interface PromptSpec {
  /** One output (`output:`), or several (`outputs:`). Default generated/out.py unless `outputs` is given. */
  output?: string | string[];
  outputs?: string[];
  /** Context files or globs. */
  context?: string[];
  version?: unknown;
  model?: unknown;
  seed?: unknown;
  temperature?: unknown;
  /** Raw frontmatter lines after the pins (comments, odd YAML). */
  extra?: string | string[];
  /** The prompt's body. Default "Write the file.". */
  body?: string;
  /** Any other pin (`format`, `extract`, `stop`, ...); undefined leaves a pin out. */
  [pin: string]: unknown;
}

/** Strings YAML reads as themselves when written plain. */
const PLAIN = /^[\w./@+-][\w./@:+\- *]*$/;
/** Plain strings YAML would read as another type. */
const TYPED = /^(true|false|null|yes|no|on|off|~|[-+.\d][\d._eE+-]*)$/i;

/** A YAML value: plain scalars stay plain (as people write them), the rest as JSON (valid YAML). */
function yamlValue(value: unknown): string {
  if (typeof value === "string") {
    const plain = PLAIN.test(value) && !TYPED.test(value) && !value.endsWith(" ") && !value.includes(": ");
    return plain ? value : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(yamlValue).join(", ")}]`;
  return JSON.stringify(value);
}

/** The text of a prompt file (see PromptSpec for the defaults). */
export function promptFile(spec: PromptSpec = {}): string {
  const { body, extra, ...pins } = spec;
  if (Array.isArray(pins.output)) {
    pins.outputs = pins.output;
    delete pins.output;
  }
  const withDefaults: Record<string, unknown> = {
    version: 1,
    model: "test-model",
    seed: 42,
    temperature: 0,
    ...("output" in pins || "outputs" in pins ? {} : { output: "generated/out.py" }),
    ...pins,
  };
  const lines = Object.entries(withDefaults)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}: ${yamlValue(value)}`);
  const extraLines = extra === undefined ? [] : Array.isArray(extra) ? extra : [extra.trimEnd()];
  return ["---", ...lines, ...extraLines, "---", body ?? "Write the file.", ""].join("\n");
}
