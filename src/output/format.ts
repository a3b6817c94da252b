import path from "node:path";

/** Starts loading prettier in the background, so the first formatted file does not wait for it. */
export function preloadFormatter(): void {
  import("prettier").catch(() => {});
}

/**
 * Formats generated code with prettier when prettier knows the file type; anything else is left
 * as it is. prettier is imported only when a build writes a file it can format.
 */
export async function formatOutput(file: string, code: string, root: string): Promise<string> {
  const prettier = await import("prettier");
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
