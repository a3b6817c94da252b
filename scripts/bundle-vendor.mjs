// Bundles each package listed in VENDORED (src/util/require-cjs.ts) into dist/vendor/<name>.cjs
// with esbuild (run by `npm run build` after tsc): pc then loads one file per package instead of
// resolving and compiling its hundreds of files on every start. See requireCjs for the figures.
import { build } from "esbuild";
import { readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { VENDORED } from "../dist/util/require-cjs.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(`${root}package.json`);
const outdir = `${root}dist/vendor`;

/**
 * gray-matter parses YAML with js-yaml 3's safeLoad, which never evaluates JavaScript; but js-yaml
 * loads its unsafe !!js/function type anyway, and that type requires esprima at run time (~5 ms).
 * The bundle's copy of that type finds no esprima, as js-yaml's browser build does (it catches the
 * failed require), and only safeLoad is ever called.
 */
const withoutEsprima = {
  name: "without-esprima",
  setup(build) {
    build.onLoad({ filter: /[\\/]js-yaml[\\/]lib[\\/]js-yaml[\\/]type[\\/]js[\\/]function\.js$/ }, ({ path }) => {
      const source = readFileSync(path, "utf8");
      const patched = source.replace("_require('esprima')", "undefined.esprima");
      if (patched === source)
        throw new Error(`${path}: js-yaml no longer requires esprima this way; update scripts/bundle-vendor.mjs`);
      return { contents: patched, loader: "js" };
    });
  },
};
rmSync(outdir, { recursive: true, force: true });
await build({
  // The CommonJS entry each package gives `require`, as requireCjs would load it unbundled.
  entryPoints: Object.fromEntries(VENDORED.map((name) => [name, require.resolve(name)])),
  outdir,
  outExtension: { ".js": ".cjs" },
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  logLevel: "warning",
  plugins: [withoutEsprima],
});
