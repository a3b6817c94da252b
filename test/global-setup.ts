import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * End-to-end tests run the built `pc` binary: build once (as `npm run build` does: compile, then
 * precompile the schema validators, bundle the UI's pages) so they never test a stale dist/.
 */
export default function setup(): void {
  const root = fileURLToPath(new URL("..", import.meta.url));
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], {
    cwd: root,
    stdio: "inherit",
  });
  execFileSync(process.execPath, ["scripts/compile-schemas.mjs"], { cwd: root, stdio: "inherit" });
  execFileSync(process.execPath, ["scripts/bundle-web.mjs"], { cwd: root, stdio: "inherit" });
}
