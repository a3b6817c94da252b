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

/** prettier formatted a file since the last build began: it keeps the configuration files it read. */
let configRead = false;
/** Settles once prettier has forgotten the configuration an earlier build read. */
let configForgotten: Promise<void> = Promise.resolve();

/**
 * Called when a build begins: starts loading prettier when one of `files` is a type it formats,
 * while the first requests are out. In a process that builds again (pc watch, the library),
 * prettier forgets the configuration files it read for earlier builds, which may have changed.
 */
export function preloadFormatter(files: string[]): void {
  if (configRead) {
    configRead = false;
    configForgotten = import("prettier").then((prettier) => prettier.clearConfigCache()).catch(() => {});
  }
  if (files.some(mayFormat)) import("prettier").catch(() => {});
}

/**
 * Formats generated code with prettier when prettier knows the file type; anything else is left
 * as it is. prettier is imported only when a build writes a file it can format.
 */
export async function formatOutput(file: string, code: string, root: string): Promise<string> {
  if (!mayFormat(file)) return code;
  const prettier = await import("prettier");
  await configForgotten;
  configRead = true;
  const info = await prettier.getFileInfo(path.join(root, file), { resolveConfig: false });
  if (info.ignored || !info.inferredParser) return code;
  const config = (await prettier.resolveConfig(path.join(root, file), { editorconfig: true })) ?? {};
  try {
    return await prettier.format(code, { ...config, filepath: file });
  } catch {
    // Code prettier cannot parse is written as the model gave it; `pc check` still proves the bytes.
    return code;
  }
}
