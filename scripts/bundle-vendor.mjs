// Bundles each package listed in VENDORED (src/util/require-cjs.ts) into dist/vendor/<name>.cjs
// with esbuild (run by `npm run build` after tsc): pc then loads one file per package instead of
// resolving and compiling its hundreds of files on every start. See requireCjs for the figures.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { VENDORED } from "../dist/util/require-cjs.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const require = createRequire(`${root}package.json`);
const outdir = `${root}dist/vendor`;
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
});
