/**
 * `pc ui`'s web server (node:http): the gate (security.ts) in front of everything, then the
 * bundled pages (assets.ts), the JSON API (api.ts) and the live event stream (live.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { PcError } from "../util/errors.js";
import { GET, POST, errorJson, type ApiContext } from "./api.js";
import { Assets } from "./assets.js";
import { Live, messageOf } from "./live.js";
import { gateFor, judge, newToken, tokenCookie, type Gate } from "./security.js";

/** The largest request body accepted (a pasted chat answer). */
const MAX_BODY = 16 * 1024 * 1024;

export interface UiOptions {
  /** Project root (default: process.cwd()). */
  cwd?: string;
  /** Interface to listen on (default 127.0.0.1). */
  host?: string;
  /** Port (default 0: a free port). */
  port?: number;
  /** The OpenAI-compatible server builds use. */
  baseUrl?: string;
  /** Aborts generations the UI started (the server itself stops with close()). */
  signal?: AbortSignal;
  /** The access token (default: a new random one). */
  token?: string;
  /** Problems that do not stop the server (a watcher error, a failed request). */
  onError?: (error: unknown) => void;
}

export interface UiServer {
  /** The URL to open, with the access token. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** Starts the UI's server; resolves once it listens and watches the project. */
export async function startUi(options: UiOptions = {}): Promise<UiServer> {
  const root = options.cwd ?? process.cwd();
  const host = options.host ?? "127.0.0.1";
  const token = options.token ?? newToken();
  const onError = options.onError ?? (() => {});
  const live = new Live(root, onError);
  const context: ApiContext = { root, baseUrl: options.baseUrl, signal: options.signal, live };
  const assets = await Assets.load();
  const server = createServer();
  await listen(server, host, options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const gate = gateFor(token, host, port);
  // Added before node reads any request (in the same turn as listening): the gate needs the port.
  server.on("request", (request, response) => {
    handle(request, response, gate, context, assets).catch((error) => {
      onError(error);
      if (!response.headersSent) send(response, 500, { error: { code: "PC_INTERNAL", message: messageOf(error) } });
      else response.end();
    });
  });
  await live.start();
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      await live.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) => {
      const taken = error.code === "EADDRINUSE";
      reject(
        new PcError(
          "PC_USAGE",
          taken ? `port ${port} on ${host} is already in use` : `cannot listen on ${host}:${port}: ${error.message}`,
          {
            hint: taken ? "Choose another with --port, or --port 0 for any free port." : "Check --host and --port.",
            cause: error,
          },
        ),
      );
    });
    server.listen(port, host, () => resolve());
  });
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  gate: Gate,
  context: ApiContext,
  assets: Assets,
): Promise<void> {
  const url = new URL(request.url ?? "/", "http://pc.invalid");
  const verdict = judge(gate, request, url);
  if (!verdict.ok) {
    response.writeHead(verdict.status, { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" });
    response.end(`pc ui: refused: ${verdict.reason}\n`);
    return;
  }
  if (verdict.viaQuery) {
    // The token moves into a cookie and out of the address bar (and the browser's history).
    url.searchParams.delete("token");
    response.writeHead(303, {
      location: url.pathname + url.search,
      "set-cookie": tokenCookie(gate),
      "cache-control": "no-store",
    });
    response.end();
    return;
  }
  if (url.pathname === "/api/events" && request.method === "GET") {
    return context.live.subscribe(response);
  }
  const route =
    request.method === "GET" ? GET[url.pathname] : request.method === "POST" ? POST[url.pathname] : undefined;
  if (route)
    return answer(response, async () =>
      route(context, url.searchParams, request.method === "POST" ? await readJson(request) : {}),
    );
  if (url.pathname.startsWith("/api/"))
    return send(response, 404, { error: { code: "PC_USAGE", message: `no ${request.method} ${url.pathname}` } });
  if (request.method !== "GET" && request.method !== "HEAD")
    return send(response, 405, { error: { code: "PC_USAGE", message: "method not allowed" } });
  assets.serve(url.pathname, response);
}

/** Runs a route: its result as JSON, a PcError as 400 with the message the CLI would print. */
async function answer(response: ServerResponse, run: () => Promise<unknown>): Promise<void> {
  let result: unknown;
  try {
    result = await run();
  } catch (error) {
    if (!(error instanceof PcError)) throw error;
    return send(response, error.code === "PC_PROMPT_NOT_FOUND" ? 404 : 400, { error: errorJson(error) });
  }
  send(response, 200, result);
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  if (!String(request.headers["content-type"] ?? "").startsWith("application/json")) {
    throw new PcError("PC_USAGE", "the request body must be JSON (content-type: application/json)");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new PcError("PC_USAGE", `the request body is larger than ${MAX_BODY / 1024 / 1024} MB`);
    chunks.push(chunk);
  }
  try {
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new PcError("PC_USAGE", "the request body is not a JSON object");
}

export function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  response.end(JSON.stringify(body));
}
