import { safeKey } from "./key.js";

export type PutImmutableResult =
  | { status: "created"; key: string; object: R2Object }
  /** The key was taken; nothing was written. `existing` is its current metadata (null if deleted meanwhile). */
  | { status: "exists"; key: string; existing: R2Object | null };

export type PutImmutableOptions = Omit<R2PutOptions, "onlyIf">;

type PutBody = ReadableStream | ArrayBuffer | ArrayBufferView | string | Blob;

/**
 * Creates `key` only if it is absent (`onlyIf: { etagDoesNotMatch: "*" }`), so a retry, a race or a bug can never
 * overwrite an object a reader may already hold. An existing key gives `{ status: "exists" }`, never a write.
 *
 * @example
 * const r = await putImmutable(env.RECEIPTS, `receipts/${id}.pdf`, pdf, { httpMetadata: { contentType: "application/pdf" } });
 * if (r.status === "exists") return c.json({ error: "receipt already exists" }, 409);
 */
export async function putImmutable(
  bucket: R2Bucket,
  key: string,
  body: PutBody,
  options: PutImmutableOptions = {},
): Promise<PutImmutableResult> {
  const object = await bucket.put(key, body, { ...options, onlyIf: { etagDoesNotMatch: "*" } });
  if (object === null) return { status: "exists", key, existing: await bucket.head(key) };
  return { status: "created", key, object };
}

export interface ContentKeyOptions {
  /** Folder the key goes under, e.g. `"assets"`. */
  prefix?: string;
  /** Appended to the digest, e.g. `".pdf"`. */
  extension?: string;
}

const encoder = new TextEncoder();

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function toBytes(body: ArrayBuffer | ArrayBufferView | string): ArrayBuffer | ArrayBufferView {
  return typeof body === "string" ? encoder.encode(body) : body;
}

/**
 * A content-addressed key: `<prefix>/sha256-<hex><extension>`. The same bytes always get the same key and
 * different bytes never share one, so writes are naturally immutable and safe to repeat.
 *
 * @example
 * const key = await contentKey(bytes, { prefix: "assets", extension: ".css" }); // "assets/sha256-9f86…css"
 */
export async function contentKey(
  body: ArrayBuffer | ArrayBufferView | string,
  { prefix, extension = "" }: ContentKeyOptions = {},
): Promise<string> {
  const digest = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", toBytes(body))));
  return safeKey(`sha256-${digest}${extension}`, prefix === undefined ? {} : { prefix });
}

/**
 * A new version id that sorts by time: `20261126T164100123Z-<8 hex>`. Listing a prefix returns versions oldest first.
 *
 * @example
 * const v = newVersion(); // write every file under versionedKey("site", v, name), then point readers at v
 */
export function newVersion(now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:.]/g, "");
  return `${stamp}-${hex(crypto.getRandomValues(new Uint8Array(4)))}`;
}

/**
 * `<base>/v/<version>/<name>`: each deploy or edit writes under a fresh version prefix instead of changing
 * objects in place, and flipping a pointer (KV, D1) to the new version is the only mutable step.
 *
 * @example
 * const key = versionedKey("site", newVersion(), "index.html");
 */
export function versionedKey(base: string, version: string, name: string): string {
  return safeKey(name, { prefix: safeKey(version, { prefix: safeKey("v", { prefix: base }) }) });
}
