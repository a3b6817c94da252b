// Bundles pc ui's pages (web/) into dist/web/ with esbuild: Preact, htm, the diff package and
// Mermaid go into the bundle, so the UI needs no network at run time. Mermaid is split into chunks
// loaded only when the graph page opens, so the prompt list starts with a small script.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}dist/web`;

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: { app: `${root}web/main.ts` }, // its styles become app.css
  outdir,
  entryNames: "[name]",
  chunkNames: "chunk-[hash]",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "linked",
  logLevel: "warning",
});
copyFileSync(`${root}web/index.html`, `${outdir}/index.html`);
