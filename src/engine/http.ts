/**
 * The fetch every request of pc goes through: undici's, from npm, rather than the one built into
 * Node 20. The built-in one, on the first request of a process to a server that closes the
 * connection before the request is written, never settles and holds nothing that keeps the process
 * alive, so pc would end in the middle of a build with exit 0 and no report. Loaded on first use:
 * `pc --help` and the commands that send no request never load it.
 */
import type { RequestInfo, RequestInit, Response } from "undici";

export async function httpFetch(input: RequestInfo, init?: RequestInit): Promise<Response> {
  const { fetch } = await import("undici");
  return fetch(input, init);
}
