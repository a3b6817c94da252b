/**
 * The fetch every request of pc goes through: undici's, from npm, rather than the one built into
 * Node 20. The built-in one, on the first request of a process to a server that closes the
 * connection before the request is written, never settles and holds nothing that keeps the process
 * alive, so pc would end in the middle of a build with exit 0 and no report. Loaded on first use,
 * from its one-file bundle (util/require-cjs.ts): `pc --help` and the commands that send no request
 * never load it.
 */
import type * as Undici from "undici";
import { requireCjs } from "../util/require-cjs.js";

export async function httpFetch(input: Undici.RequestInfo, init?: Undici.RequestInit): Promise<Undici.Response> {
  const { fetch } = requireCjs("undici") as typeof Undici;
  return fetch(input, init);
}
