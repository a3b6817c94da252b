// Preloaded with `node --import` by tests: host names ending in `.invalid` (RFC 6761: never
// resolvable) fail to resolve at once with ENOTFOUND, whatever the machine's resolver would do
// (some hang offline, some answer EAI_AGAIN), so a test of an unresolvable hub is deterministic.
import dns from "node:dns";
import { syncBuiltinESMExports } from "node:module";

const invalid = (host) => typeof host === "string" && /\.invalid\.?$/i.test(host);
const notFound = (host) =>
  Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), {
    code: "ENOTFOUND",
    hostname: host,
    syscall: "getaddrinfo",
  });
const lookup = dns.lookup;
const promisesLookup = dns.promises.lookup;
dns.lookup = (host, ...rest) => {
  if (!invalid(host)) return lookup(host, ...rest);
  const callback = rest.at(-1);
  process.nextTick(() => callback(notFound(host)));
  return {};
};
dns.promises.lookup = (host, ...rest) =>
  invalid(host) ? Promise.reject(notFound(host)) : promisesLookup(host, ...rest);
syncBuiltinESMExports();
