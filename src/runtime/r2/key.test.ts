import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isSafeKey, MAX_KEY_BYTES, safeKey, UnsafeKeyError } from "./key.js";

// An oracle written from the spec, not from key.ts: code points are walked by hand, UTF-8 lengths are counted per
// code point, and escapes are decoded byte by byte.
function utf8Length(s: string): number {
  let n = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    n += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  }
  return n;
}

function wellFormed(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp >= 0xd800 && cp <= 0xdfff) return false; // for..of yields a lone surrogate as itself
  }
  return true;
}

function decodeOnce(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; ) {
    const hex = s.slice(i + 1, i + 3);
    if (s[i] === "%" && /^[0-9a-f]{2}$/i.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else {
      const cp = s.codePointAt(i) ?? 0;
      const ch = String.fromCodePoint(cp);
      bytes.push(...new TextEncoder().encode(ch));
      i += ch.length;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

function forms(key: string): string[] {
  const all = [key];
  for (let s = key, i = 0; i < 8; i++) {
    const d = decodeOnce(s);
    if (d === s) break;
    all.push(d);
    s = d;
  }
  return [...all, ...all.map((s) => s.normalize("NFKC"))];
}

function formIsClean(s: string): boolean {
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return false;
  }
  if (s.indexOf("\\") !== -1) return false;
  if (s.charAt(0) === "/") return false;
  if (/\/\//.test(s)) return false;
  if (/(^|\/)\.\.?(\/|$)/.test(s)) return false;
  return true;
}

function oracleSafe(key: string): boolean {
  if (key === "" || !wellFormed(key)) return false;
  if (!forms(key).every(formIsClean)) return false;
  return utf8Length(key.normalize("NFC")) <= MAX_KEY_BYTES;
}

const tricky = fc.constantFrom(
  "..",
  ".",
  "/",
  "//",
  "\\",
  "%2e",
  "%2E",
  "%2f",
  "%2F",
  "%5c",
  "%5C",
  "%252e",
  "%252f",
  "%25",
  "%",
  "%zz",
  "%c0",
  "%C0%AE",
  "%e2%80",
  "．",
  "／",
  "＼",
  "\u2024",
  "\u0000",
  "\u0009",
  "\u001f",
  "\u007f",
  "\u0085",
  "\u009f",
  "\u200b",
  "\u2028",
  "é",
  "e\u0301",
  "\ud800",
  "\udfff",
  "😀",
  "…",
  "...",
  ".a",
  "a.",
  "a",
  "receipts",
  "-",
  "_",
  " ",
);
const piece = fc.oneof(
  { weight: 5, arbitrary: tricky },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 6 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 4 }) },
  { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9._-]{1,12}$/) },
);
const pathLike = fc
  .array(
    fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join("")),
    { minLength: 1, maxLength: 6 },
  )
  .map((segments) => segments.join("/"));
const long = fc
  .tuple(fc.integer({ min: 250, max: 270 }), fc.constantFrom("a", "é", "€", "😀", "e\u0301"))
  .map(([n, ch]) => ch.repeat(n));
const keys = fc.oneof(
  { weight: 6, arbitrary: pathLike },
  { weight: 2, arbitrary: fc.array(piece, { maxLength: 10 }).map((p) => p.join("")) },
  { weight: 1, arbitrary: long },
);

describe("safeKey", () => {
  it("accepts no unsafe key and rejects no safe key (10,000 generated keys)", () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(keys, (key) => {
        const ok = isSafeKey(key);
        if (ok) accepted++;
        else rejected++;
        return ok === oracleSafe(key);
      }),
      { numRuns: 10_000, seed: 20261126 },
    );
    // The generator must exercise both sides, or the property proves little.
    expect(accepted).toBeGreaterThan(1_000);
    expect(rejected).toBeGreaterThan(1_000);
  });

  it("holds for fresh random seeds too", () => {
    fc.assert(
      fc.property(keys, (key) => isSafeKey(key) === oracleSafe(key)),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ["", "empty"],
    ["a/../b", "dot-segment"],
    ["..", "dot-segment"],
    ["a/..", "dot-segment"],
    ["a/./b", "dot-segment"],
    ["a/%2e%2e/b", "dot-segment"],
    ["a/%2E./b", "dot-segment"],
    ["a/%252e%252e/b", "dot-segment"],
    ["a%2f..%2fb", "dot-segment"],
    ["a/．．/b", "dot-segment"],
    ["a\\b", "backslash"],
    ["a%5cb", "backslash"],
    ["a//b", "repeated-slash"],
    ["a%2f%2fb", "repeated-slash"],
    ["/a", "leading-slash"],
    ["%2fa", "leading-slash"],
    ["a\u0000b", "control-character"],
    ["a%0ab", "control-character"],
    ["a\u0085b", "control-character"],
    ["a\ud800b", "invalid-unicode"],
    ["a".repeat(1025), "too-long"],
    ["€".repeat(342), "too-long"],
  ])("rejects %j (%s) with a 400", (key, reason) => {
    try {
      safeKey(key);
      expect.unreachable(`accepted ${JSON.stringify(key)}`);
    } catch (e) {
      expect(e).toBeInstanceOf(UnsafeKeyError);
      expect((e as UnsafeKeyError).reason).toBe(reason);
      expect((e as UnsafeKeyError).status).toBe(400);
    }
  });

  it.each(["a", "a/b/c.pdf", "...", "a..b", ".hidden", "100%", "a%zz", "café/ü.txt", "😀", "a".repeat(1024)])(
    "accepts %j",
    (key) => {
      expect(safeKey(key)).toBe(key.normalize("NFC"));
    },
  );

  it("returns the NFC form and measures the limit on it", () => {
    expect(safeKey("cafe\u0301")).toBe("café");
    // 1,025 code units decomposed, 1,024 bytes once composed: the stored key fits.
    expect(safeKey(`${"a".repeat(1021)}e\u0301`)).toHaveLength(1022);
  });

  it("joins a prefix with exactly one slash and validates both parts", () => {
    expect(safeKey("x.pdf", { prefix: "receipts" })).toBe("receipts/x.pdf");
    expect(safeKey("x.pdf", { prefix: "receipts/" })).toBe("receipts/x.pdf");
    expect(() => safeKey("../x", { prefix: "receipts" })).toThrow(UnsafeKeyError);
    expect(() => safeKey("/x", { prefix: "receipts" })).toThrow(/starts with '\/'/);
    expect(() => safeKey("x", { prefix: "../up" })).toThrow(UnsafeKeyError);
  });
});
