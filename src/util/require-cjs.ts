import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

/**
 * Packages that `npm run build` bundles, each into one file dist/vendor/<name>.cjs
 * (scripts/bundle-vendor.mjs). Node resolves, reads and compiles every file of a package one by
 * one, so each of these loads several times faster from its bundle.
 * The bundles are made from the installed packages, so their versions are package-lock.json's.
 */
export const VENDORED: readonly string[] = ["openai", "gray-matter", "proper-lockfile", "tinyglobby", "undici"];

/** dist/vendor/ next to dist/util/; absent when running from the TypeScript sources (tests). */
const vendorDir = fileURLToPath(new URL("../vendor/", import.meta.url));
const bundled = existsSync(vendorDir);

/**
 * Loads a CommonJS package with `require` rather than `import()`: importing CommonJS from ESM makes
 * node scan the module's source for named exports, and a package's ESM build can be spread over
 * more files (openai loaded faster with require than with import(), even before bundling). A vendored package
 * is loaded from its bundle when there is one.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function requireCjs(name: string): any {
  return require(bundled && VENDORED.includes(name) ? `${vendorDir}${name}.cjs` : name);
}
