import { knownSecrets, redact, urlCredentials } from "../util/redact.js";
import type { CliIo } from "./io.js";

/**
 * Every byte pc prints goes through here: the run's stdout and stderr are wrapped once, at start,
 * so that no message, table, JSON report or stack can print the API key or a credential of a base
 * URL, from wherever it came (a server's error body, an answer quoted in a hint, a recorded failure).
 */
export function redactPrintedSecrets(argv: string[], io: CliIo): void {
  const secrets = knownSecrets(io.env, baseUrlFlags(argv).flatMap(urlCredentials));
  if (secrets.length === 0) return; // nothing to hide: output is written as it is
  for (const stream of [io.stdout, io.stderr]) {
    const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      // Known secrets only: a rendered prompt or a diff may hold `Bearer ${token}` as code.
      if (typeof chunk === "string") return write(redact(chunk, secrets, { bearer: false }), ...rest);
      if (chunk instanceof Uint8Array)
        return write(redact(Buffer.from(chunk).toString("utf8"), secrets, { bearer: false }), ...rest);
      return write(chunk, ...rest);
    }) as typeof stream.write;
  }
}

/** The values of --base-url in the arguments (`--base-url X` and `--base-url=X`). */
function baseUrlFlags(argv: string[]): string[] {
  const found: string[] = [];
  argv.forEach((arg, i) => {
    if (arg === "--base-url" && argv[i + 1] !== undefined) found.push(argv[i + 1]!);
    else if (arg.startsWith("--base-url=")) found.push(arg.slice("--base-url=".length));
  });
  return found;
}
