/**
 * Secrets pc knows of, and their removal from anything it writes or prints. One mechanism for every
 * sink: the lock, the cache, .pc/ bookkeeping and failure records redact the values they store
 * (`redactDeep`), the CLI's stdout and stderr redact what is printed (cli/redacting-output.ts), and
 * `writeFileAtomic` refuses, as a last line, any file whose bytes still hold a secret.
 *
 * The secrets are the API key (PC_API_KEY) and any user name and password in a base URL: a server
 * can echo them anywhere (its identity fields, the answer, an error body). A value shorter than
 * MIN_SECRET characters is no secret (it would match ordinary text).
 */
const BEARER = /\b(Bearer\s+)[^\s"',;]+/gi;
const MIN_SECRET = 4;
export const REDACTED = "[redacted]";

/** The secrets of this process: PC_API_KEY and the credentials of PC_BASE_URL, plus `extra` values. */
export function knownSecrets(env: NodeJS.ProcessEnv = process.env, extra: Array<string | undefined> = []): string[] {
  return withVariants([env.PC_API_KEY, ...urlCredentials(env.PC_BASE_URL), ...extra]);
}

/** The user name and password of a URL (`http://user:pass@host/`), raw and percent-decoded. */
export function urlCredentials(url: string | undefined): string[] {
  if (!url) return [];
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)@/i.exec(url.trim())?.[1];
  if (userinfo === undefined) return [];
  const [user = "", ...rest] = userinfo.split(":");
  const password = rest.join(":");
  return [userinfo, user, password].filter((s) => s.length > 0);
}

/** A URL with any user name and password replaced: safe to print or store. */
export function withoutCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, `$1${REDACTED}@`);
}

/** Each secret as it may appear in text: as given, percent-decoded and -encoded, JSON-escaped. */
function withVariants(values: Array<string | undefined>): string[] {
  const found = new Set<string>();
  for (const value of values) {
    if (!value || value.length < MIN_SECRET) continue;
    found.add(value);
    for (const variant of [safeDecode(value), encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) {
      if (variant && variant.length >= MIN_SECRET) found.add(variant);
    }
  }
  // Longest first: a password inside `user:password` is replaced after the whole.
  return [...found].sort((a, b) => b.length - a.length);
}

function safeDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * `text` with every secret replaced by [redacted], and any bearer token too unless `bearer` is false
 * (printed prompts and outputs may hold `Bearer ${token}` as code: only known secrets go there).
 */
export function redact(text: string, secrets: readonly string[] = knownSecrets(), { bearer = true } = {}): string {
  let clean = text;
  for (const secret of secrets) if (clean.includes(secret)) clean = clean.split(secret).join(REDACTED);
  return bearer ? clean.replace(BEARER, `$1${REDACTED}`) : clean;
}

/** A copy of a JSON-like value with every string (keys included) redacted. */
export function redactDeep<T>(value: T, secrets: readonly string[] = knownSecrets()): T {
  return walk(value, secrets) as T;
}

function walk(value: unknown, secrets: readonly string[]): unknown {
  if (typeof value === "string") return redact(value, secrets);
  if (Array.isArray(value)) return value.map((v) => walk(v, secrets));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [redact(k, secrets), walk(v, secrets)]));
  }
  return value;
}

/** Whether text (or bytes) holds one of the secrets. */
export function containsSecret(data: string | Uint8Array, secrets: readonly string[] = knownSecrets()): boolean {
  if (secrets.length === 0) return false;
  const bytes = typeof data === "string" ? undefined : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return secrets.some((secret) => (bytes ? bytes.includes(secret) : (data as string).includes(secret)));
}

/** Kept for the engine's error messages: the key given, and any bearer token. */
export function redactSecrets(text: string, apiKey?: string): string {
  return redact(text, knownSecrets(process.env, [apiKey]));
}
