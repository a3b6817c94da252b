import { randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import { hostname, networkInterfaces } from "node:os";

/**
 * Who may talk to the UI: a request must name the UI's own host (no DNS rebinding), come from its
 * own origin when a browser says where it comes from (no cross-site requests), and carry the
 * access token, in the query string of the URL `pc ui` printed or in the cookie set from it.
 */
export interface Gate {
  token: string;
  /** The cookie carrying the token: one name per port, as browsers share cookies across ports. */
  cookie: string;
  /** `host:port` values a request may name in its Host header. */
  hosts: Set<string>;
}

export type Verdict = { ok: true; viaQuery: boolean } | { ok: false; status: 401 | 403; reason: string };

export function newToken(): string {
  return randomBytes(24).toString("base64url");
}

/**
 * The hosts of a UI listening on `host:port`: the loopback names and the host it was told to
 * listen on; listening on every interface (0.0.0.0, ::), this machine's name and addresses.
 * A name that merely resolves to this machine (DNS rebinding) is never one of them.
 */
export function gateFor(token: string, host: string, port: number): Gate {
  const names = new Set(["127.0.0.1", "localhost", "[::1]"]);
  const everywhere = host === "0.0.0.0" || host === "::";
  const own = everywhere
    ? [hostname(), ...Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address))]
    : [host];
  for (const name of own) names.add(name.includes(":") ? `[${name.toLowerCase()}]` : name.toLowerCase());
  // A browser leaves the default port out of Host and Origin.
  const hosts = [...names].flatMap((n) => (port === 80 ? [n, `${n}:80`] : [`${n}:${port}`]));
  return { token, cookie: `pc-ui-${port}`, hosts: new Set(hosts) };
}

/** Decides whether a request may be served. */
export function judge(gate: Gate, request: IncomingMessage, url: URL): Verdict {
  const host = request.headers.host?.toLowerCase();
  if (!host || !gate.hosts.has(host))
    return { ok: false, status: 403, reason: `the Host header "${host ?? ""}" is not this UI's` };
  const origin = request.headers.origin;
  if (origin !== undefined && !sameOrigin(gate, origin))
    return { ok: false, status: 403, reason: `the Origin "${origin}" is not this UI's` };
  if (request.headers["sec-fetch-site"] === "cross-site")
    return { ok: false, status: 403, reason: "a cross-site request" };
  const fromQuery = url.searchParams.get("token");
  if (fromQuery !== null && equal(fromQuery, gate.token)) return { ok: true, viaQuery: true };
  const fromCookie = cookieValue(request.headers.cookie, gate.cookie);
  if (fromCookie !== undefined && equal(fromCookie, gate.token)) return { ok: true, viaQuery: false };
  return {
    ok: false,
    status: 401,
    reason: "no valid access token: open the URL that pc ui printed (it carries the token)",
  };
}

/** The Set-Cookie header that lets the browser in after its first visit with the token. */
export function tokenCookie(gate: Gate): string {
  return `${gate.cookie}=${gate.token}; Path=/; HttpOnly; SameSite=Strict`;
}

function sameOrigin(gate: Gate, origin: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  return parsed.protocol === "http:" && gate.hosts.has(parsed.host.toLowerCase());
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return rest.join("=");
  }
  return undefined;
}

function equal(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
