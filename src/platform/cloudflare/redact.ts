/**
 * Removes secrets from text meant for people: error messages, wrangler output, logs. Every error the Cloudflare
 * platform raises passes through here, so a token can never reach a terminal or a CI log.
 *
 * @example
 * redact("auth failed for Bearer abc123", ["abc123"]); // "auth failed for Bearer [redacted]"
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) {
    // Very short values would blank out ordinary words; real tokens are long.
    if (s && s.length >= 6) out = out.split(s).join("[redacted]");
  }
  // Bearer headers echoed by a proxy or a debug log, whatever the token was.
  return out.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}/gi, "$1[redacted]");
}
