import { readdir, readFile } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { PcError } from "../util/errors.js";

/** The pages, bundled by scripts/bundle-web.mjs (both src/ui/ and dist/ui/ sit two folders below the package). */
const FOLDER = fileURLToPath(new URL("../../dist/web/", import.meta.url));

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
};

/** Only what the page needs to run: scripts it loads and styles, nothing from the network. */
const POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The bundled pages. Only the files the bundle holds are served, looked up by name in a list made
 * when the server starts, so no request path can reach another file.
 */
export class Assets {
  private constructor(
    private readonly folder: string,
    private readonly files: Set<string>,
  ) {}

  static async load(folder = FOLDER): Promise<Assets> {
    let names: string[];
    try {
      // The bundle is flat: the page, its scripts and chunks, its styles.
      names = (await readdir(folder, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
    } catch (error) {
      throw new PcError("PC_FILE_UNREADABLE", `the UI's pages are not built (${folder})`, {
        hint: "Run npm run build in pc's folder.",
        cause: error,
      });
    }
    if (!names.includes("index.html"))
      throw new PcError("PC_FILE_UNREADABLE", `the UI's pages are incomplete: ${folder} has no index.html`, {
        hint: "Run npm run build in pc's folder.",
      });
    return new Assets(folder, new Set(names));
  }

  serve(pathname: string, response: ServerResponse): void {
    const name = pathname === "/" ? "index.html" : decodeURIComponentSafe(pathname.slice(1));
    if (name === undefined || !this.files.has(name)) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
      response.end("pc ui: no such page\n");
      return;
    }
    readFile(path.join(this.folder, name)).then(
      (bytes) => {
        response.writeHead(200, {
          "content-type": TYPES[path.extname(name)] ?? "application/octet-stream",
          "content-security-policy": POLICY,
          "x-content-type-options": "nosniff",
          // Chunk names carry a content hash; the page itself is always asked again.
          "cache-control": name === "index.html" ? "no-store" : "private, max-age=31536000, immutable",
        });
        response.end(bytes);
      },
      () => {
        response.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        response.end("pc ui: cannot read a page file; run npm run build\n");
      },
    );
  }
}

function decodeURIComponentSafe(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}
