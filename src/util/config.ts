import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PcError, excerpt } from "./errors.js";
import { readIfExistsSync } from "./fs.js";
import { describeSchemaErrors, validator } from "./schema.js";

export const CONFIG_FILE = "pc.config.json";

export interface ProjectConfig {
  prompts: string[];
  exclude: string[];
  baseUrl?: string;
  timeout?: number;
  retries?: number;
  jobs?: number;
  threads?: number;
  contextSize?: number;
  /** A folder of GGUF models (relative to the root, `~/` or absolute) where `gguf:<file>` is looked up after the project. */
  modelsDir?: string;
}

export const DEFAULT_CONFIG: ProjectConfig = { prompts: ["prompts/**/*.md"], exclude: [] };

const KNOWN_KEYS = [
  "$schema",
  "prompts",
  "exclude",
  "baseUrl",
  "timeout",
  "retries",
  "jobs",
  "threads",
  "contextSize",
  "modelsDir",
];

/** Parses and validates the text of pc.config.json. Pure. */
export function parseConfig(text: string, file = CONFIG_FILE): ProjectConfig {
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (error) {
    throw new PcError("PC_CONFIG_INVALID", `is not valid JSON: ${(error as Error).message}`, {
      file,
      hint: `Found: ${excerpt(text)}\nA valid config: {"prompts": ["prompts/**/*.md"], "baseUrl": "http://127.0.0.1:8080/v1"}`,
      cause: error,
    });
  }
  const validate = validator("config");
  if (!validate(data)) {
    const problems = describeSchemaErrors(validate.errors ?? [], KNOWN_KEYS);
    throw new PcError("PC_CONFIG_INVALID", problems.map((p) => p.message).join("; "), {
      file,
      key: problems[0]?.key,
      hint: configHint(),
    });
  }
  const config = data as Partial<ProjectConfig>;
  return { ...DEFAULT_CONFIG, ...config, exclude: config.exclude ?? [] };
}

/**
 * Where every key is described. The schema ships with pc, not with the user's project, so it is
 * named by its place in this installation (a file URL editors take for "$schema").
 */
function configHint(): string {
  const schema = pathToFileURL(fileURLToPath(new URL("../../schemas/config.schema.json", import.meta.url))).href;
  return (
    `Every key is optional: ${KNOWN_KEYS.filter((k) => k !== "$schema").join(", ")}. ` +
    `They are described in pc's README ("pc.config.json") and in its schema, ${schema} ` +
    `(give that as "$schema" for your editor's completion).`
  );
}

/** Reads pc.config.json from the project root; absent means defaults. */
export async function loadConfig(root: string): Promise<ProjectConfig> {
  const bytes = readIfExistsSync(path.join(root, CONFIG_FILE)); // sync: see readLock
  return bytes === undefined ? DEFAULT_CONFIG : parseConfig(bytes.toString("utf8"));
}
