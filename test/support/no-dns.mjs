// Preloaded with `node --import` by tests: name lookups answer at once, as on a machine whose
// resolver has no such name, without asking any resolver. Names under `.invalid` (which never
// resolve, RFC 6761) fail with ENOTFOUND; other names are looked up as usual.
import dns from "node:dns";

const lookup = dns.lookup;
dns.lookup = function (hostname, options, callback) {
  const done = typeof options === "function" ? options : callback;
  if (typeof hostname === "string" && /\.invalid\.?$/i.test(hostname)) {
    const error = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND", errno: -3008, syscall: "getaddrinfo", hostname });
    process.nextTick(done, error);
    return {};
  }
  return lookup.call(this, hostname, options, callback);
};
