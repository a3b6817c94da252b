import path from "node:path";

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
    const info = await prettier.getFileInfo(path.join(this.root, file), { resolveConfig: false });
    if (info.ignored || !info.inferredParser) return code;
    const config = (await prettier.resolveConfig(path.join(this.root, file), { editorconfig: true })) ?? {};
    try {
      return await prettier.format(code, { ...config, filepath: file });
    } catch {
      // Code prettier cannot parse is written as the model gave it; `pc check` still proves the bytes.
      return code;
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
