/** Why a key was refused; stable strings a caller can switch on or log. */
export type UnsafeKeyReason =
  | "empty"
  | "leading-slash"
  | "repeated-slash"
  | "backslash"
  | "dot-segment"
  | "control-character"
  | "invalid-unicode"
  | "too-long";

/** R2's limit on a key: 1,024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/**
 * A key that must not reach the bucket. `status` is 400 so a handler can answer with it as is.
 *
 * @example
 * try { safeKey(c.req.param("path")) } catch (e) { if (e instanceof UnsafeKeyError) return c.json({ error: e.message }, e.status) }
 */
export class UnsafeKeyError extends Error {
  readonly status = 400;
  readonly reason: UnsafeKeyReason;
  constructor(reason: UnsafeKeyReason, message: string) {
    super(message);
    this.name = "UnsafeKeyError";
    this.reason = reason;
  }
}

export interface SafeKeyOptions {
  /** Joined in front of the key with exactly one `/` (e.g. `"receipts"` + `"a.pdf"` → `"receipts/a.pdf"`). */
  prefix?: string;
}

// Cc: C0 controls, DEL and C1 controls.
const CONTROL = /\p{Cc}/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const encoder = new TextEncoder();

const ESCAPE = /%([0-9a-fA-F]{2})/g;
const HAS_ESCAPE = /%[0-9a-fA-F]{2}/;
const decoder = new TextDecoder(); // not fatal: a lenient decoder downstream would not be either

/** Percent-decoding as the most lenient decoder would do it: every valid escape, invalid UTF-8 replaced. */
function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    const bytes: number[] = [];
    let last = 0;
    for (const m of s.matchAll(ESCAPE)) {
      bytes.push(...encoder.encode(s.slice(last, m.index)), Number.parseInt(m[1] ?? "", 16));
      last = m.index + m[0].length;
    }
    bytes.push(...encoder.encode(s.slice(last)));
    return decoder.decode(new Uint8Array(bytes));
  }
}

/**
 * Every spelling a downstream layer might turn the key into: the key itself, each round of percent-decoding
 * (`%252e` → `%2e` → `.`) and the NFKC folding some file systems and proxies apply (`．` → `.`, `／` → `/`).
 * A key is only safe when all of them are.
 */
function spellings(key: string): string[] {
  const out = [key];
  let current = key;
  // Each round shortens the string, so this stops; the cap only bounds the work on hostile input.
  for (let i = 0; i < 8 && HAS_ESCAPE.test(current); i++) {
    const next = percentDecode(current);
    if (next === current) break;
    out.push(next);
    current = next;
  }
  for (const s of [...out]) {
    const folded = s.normalize("NFKC");
    if (folded !== s) out.push(folded);
  }
  return out;
}

function check(key: string, { length }: { length: boolean }): void {
  if (key.length === 0) throw new UnsafeKeyError("empty", "object key is empty");
  if (LONE_SURROGATE.test(key)) {
    throw new UnsafeKeyError("invalid-unicode", "object key holds a lone UTF-16 surrogate (not valid Unicode)");
  }
  for (const s of spellings(key)) {
    if (CONTROL.test(s)) throw new UnsafeKeyError("control-character", "object key holds a control character");
    if (s.includes("\\")) throw new UnsafeKeyError("backslash", "object key holds a backslash");
    if (s.startsWith("/")) throw new UnsafeKeyError("leading-slash", "object key starts with '/'");
    if (s.includes("//")) throw new UnsafeKeyError("repeated-slash", "object key holds '//'");
    for (const segment of s.split("/")) {
      if (segment === ".." || segment === ".") {
        throw new UnsafeKeyError("dot-segment", `object key holds a '${segment}' path segment`);
      }
    }
  }
  if (!length) return;
  const bytes = encoder.encode(key).byteLength;
  if (bytes > MAX_KEY_BYTES) {
    throw new UnsafeKeyError("too-long", `object key is ${bytes} bytes of UTF-8; R2 allows ${MAX_KEY_BYTES}`);
  }
}

/**
 * Validates an R2 object key built from user input and returns it NFC-normalised (with `prefix` joined on).
 * Throws {@link UnsafeKeyError} (status 400) for empty keys, `.`/`..` segments in any spelling (`%2e%2e`, `%2E.`,
 * double-encoded, full-width), backslashes, repeated or leading slashes, control characters, invalid Unicode, and
 * keys over 1,024 bytes.
 *
 * @example
 * const key = safeKey(c.req.param("name"), { prefix: "avatars" }); // "avatars/ann.png"
 */
export function safeKey(input: string, { prefix }: SafeKeyOptions = {}): string {
  if (prefix !== undefined) {
    const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
    check(p, { length: false });
    check(input, { length: false });
    const key = `${p}/${input}`.normalize("NFC");
    check(key, { length: true });
    return key;
  }
  check(input, { length: false });
  // The limit applies to what is stored: the NFC form.
  const key = input.normalize("NFC");
  check(key, { length: true });
  return key;
}

/** `true` when {@link safeKey} accepts the key. */
export function isSafeKey(input: string, options?: SafeKeyOptions): boolean {
  try {
    safeKey(input, options);
    return true;
  } catch (e) {
    if (e instanceof UnsafeKeyError) return false;
    throw e;
  }
}
