import path from "node:path";
import { PcError } from "../util/errors.js";

/**
 * File types prettier formats out of the box (its languages' extensions). Only these load prettier,
 * which then decides: loading it holds the main thread long enough that a -j 8 build of Python files
 * would send no request meanwhile (see bench/RESULTS.md).
 */
const PRETTIER_EXTENSIONS = new Set([
  "js",
  "jsx",
  "mjs",
  "cjs",
  "ts",
  "tsx",
  "mts",
  "cts",
  "json",
  "json5",
  "jsonc",
  "css",
  "scss",
  "less",
  "html",
  "htm",
  "vue",
  "md",
  "markdown",
  "mdx",
  "yaml",
  "yml",
  "graphql",
  "gql",
  "handlebars",
  "hbs",
]);

/** prettier may format this file type (else the formatter leaves it as it is). */
export function mayFormat(file: string): boolean {
  return PRETTIER_EXTENSIONS.has(path.extname(file).slice(1).toLowerCase());
}

type Prettier = typeof import("prettier");
type PrettierOptions = import("prettier").Options;

/**
 * Formats generated code with prettier when prettier knows the file type; anything else is left
 * as it is. One per run of a command (a build, an accept, a verify ...): prettier, imported only
 * when the run writes a file it can format, keeps the configuration files it reads in a cache of
 * its own for the whole process, so each run has it forget them before its first use: in a process
 * that runs pc again (pc watch, the library, tests) they may have changed.
 */
export class Formatter {
  private loading: Promise<Prettier> | undefined;

  constructor(private readonly root: string) {}

  /** Starts loading prettier when one of `files` is a type it formats, while the first requests are out. */
  preload(files: string[]): void {
    if (files.some(mayFormat)) this.prettier().catch(() => {});
  }

  /** The code as prettier formats it for `file` (a path in the project), with the project's configuration. */
  async format(file: string, code: string): Promise<string> {
    if (!mayFormat(file)) return code;
    const prettier = await this.prettier();
    const config = await this.configFor(prettier, file);
    if (!config) return code;
    try {
      return await prettier.format(code, { ...config, filepath: file });
    } catch {
      // Code prettier cannot parse is written as the model gave it; `pc check` still proves the bytes.
      return code;
    }
  }

  /** prettier's options for `file`, or undefined when it leaves the file alone (ignored, or no parser). */
  private async configFor(prettier: Prettier, file: string): Promise<PrettierOptions | undefined> {
    const at = path.join(this.root, file);
    try {
      const info = await prettier.getFileInfo(at, { resolveConfig: false });
      if (info.ignored || !info.inferredParser) return undefined;
      return (await prettier.resolveConfig(at, { editorconfig: true })) ?? {};
    } catch (error) {
      // A configuration file with a typo is the project's to fix, not a fault of pc.
      const why = (error as Error).message
        .split(this.root + path.sep)
        .join("")
        .trim();
      throw new PcError("PC_FORMAT_CONFIG", `cannot format ${file}: prettier cannot read its configuration: ${why}`, {
        hint: "Fix the configuration file prettier names (or remove it), or set format: false in the prompt's frontmatter to write its outputs unformatted.",
      });
    }
  }

  private prettier(): Promise<Prettier> {
    this.loading ??= import("prettier").then(async (prettier) => {
      await prettier.clearConfigCache();
      return prettier;
    });
    return this.loading;
  }
}
