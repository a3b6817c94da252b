const BEARER = /\b(Bearer\s+)[^\s"',;]+/gi;

/**
 * Removes an API key from text that came from elsewhere (a server's error message may echo the
 * request's Authorization header): the key itself, and any bearer token.
 */
export function redactSecrets(text: string, apiKey?: string): string {
  let clean = text;
  if (apiKey && apiKey.length >= 4) clean = clean.split(apiKey).join("[redacted]");
  return clean.replace(BEARER, "$1[redacted]");
}
