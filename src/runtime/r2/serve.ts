export interface ServeObjectOptions {
  /** Sets `Cache-Control`, overriding the object's stored `cacheControl`. */
  cacheControl?: string;
  /** Extra response headers, applied last. */
  headers?: HeadersInit;
}

/** An entity-tag list from a request header: `*`, or unquoted opaque tags (weak ones flagged). */
type EtagList = "*" | { tag: string; weak: boolean }[];

interface Preconditions {
  ifMatch?: EtagList;
  ifNoneMatch?: EtagList;
  ifModifiedSince?: number; // whole seconds
  ifUnmodifiedSince?: number;
}

type ByteRange = { offset: number; length?: number } | { suffix: number };

const ETAG = /^\s*(W\/)?"([^"]*)"\s*$/;

function parseEtags(value: string | null): EtagList | undefined {
  if (value === null) return undefined;
  if (value.trim() === "*") return "*";
  const tags: { tag: string; weak: boolean }[] = [];
  for (const part of value.split(",")) {
    const m = ETAG.exec(part);
    // An unquoted tag is malformed; treat it as a tag that matches nothing rather than guessing.
    if (m) tags.push({ tag: m[2] ?? "", weak: m[1] !== undefined });
  }
  return tags;
}

function parseDate(value: string | null): number | undefined {
  if (value === null) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

const seconds = (d: Date): number => Math.floor(d.getTime() / 1000);

function preconditions(headers: Headers): Preconditions {
  const p: Preconditions = {};
  const ifMatch = parseEtags(headers.get("if-match"));
  const ifNoneMatch = parseEtags(headers.get("if-none-match"));
  if (ifMatch !== undefined) p.ifMatch = ifMatch;
  else {
    // RFC 9110 §13.1.4: If-Unmodified-Since is ignored when If-Match is present.
    const d = parseDate(headers.get("if-unmodified-since"));
    if (d !== undefined) p.ifUnmodifiedSince = d;
  }
  if (ifNoneMatch !== undefined) p.ifNoneMatch = ifNoneMatch;
  else {
    // §13.1.3: If-Modified-Since is ignored when If-None-Match is present.
    const d = parseDate(headers.get("if-modified-since"));
    if (d !== undefined) p.ifModifiedSince = d;
  }
  return p;
}

/** RFC 9110 §13.2.2, in order. Strong comparison for If-Match, weak for If-None-Match. */
function evaluate(p: Preconditions, object: R2Object): 200 | 304 | 412 {
  if (p.ifMatch !== undefined) {
    const ok = p.ifMatch === "*" || p.ifMatch.some((t) => !t.weak && t.tag === object.etag);
    if (!ok) return 412;
  } else if (p.ifUnmodifiedSince !== undefined && seconds(object.uploaded) > p.ifUnmodifiedSince) {
    return 412;
  }
  if (p.ifNoneMatch !== undefined) {
    if (p.ifNoneMatch === "*" || p.ifNoneMatch.some((t) => t.tag === object.etag)) return 304;
  } else if (p.ifModifiedSince !== undefined && seconds(object.uploaded) <= p.ifModifiedSince) {
    return 304;
  }
  return 200;
}

/**
 * The same preconditions as an R2 `onlyIf`, so R2 skips the body when they fail. Etags go in UNQUOTED (workerd
 * rejects a quoted one). Returns undefined when R2 cannot express them exactly (several etags, weak If-Match);
 * then {@link evaluate} alone decides after a plain get.
 */
function toR2Conditional(p: Preconditions): R2Conditional | undefined {
  const cond: R2Conditional = { secondsGranularity: true };
  if (p.ifMatch !== undefined && p.ifMatch !== "*") {
    const [only, ...rest] = p.ifMatch;
    if (only === undefined || rest.length > 0 || only.weak) return undefined;
    cond.etagMatches = only.tag;
  }
  // R2 passes uploadedBefore when uploaded < date; If-Unmodified-Since passes when uploaded <= date.
  if (p.ifUnmodifiedSince !== undefined) cond.uploadedBefore = new Date((p.ifUnmodifiedSince + 1) * 1000);
  if (p.ifNoneMatch !== undefined) {
    if (p.ifNoneMatch === "*") cond.etagDoesNotMatch = "*";
    else {
      const [only, ...rest] = p.ifNoneMatch;
      if (only === undefined || rest.length > 0) return undefined;
      cond.etagDoesNotMatch = only.tag;
    }
  }
  if (p.ifModifiedSince !== undefined) cond.uploadedAfter = new Date(p.ifModifiedSince * 1000);
  return Object.keys(cond).length > 1 ? cond : undefined;
}

/** One `bytes=` range (multi-range requests are served whole, as RFC 9110 allows). */
function parseRange(value: string | null): ByteRange | "invalid" | undefined {
  if (value === null) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(value);
  if (!m) return undefined;
  const [, first = "", last = ""] = m;
  if (first === "" && last === "") return undefined;
  if (first === "") {
    const suffix = Number(last);
    return suffix === 0 ? "invalid" : { suffix };
  }
  const offset = Number(first);
  if (last === "") return { offset };
  const end = Number(last);
  if (end < offset) return undefined; // syntactically invalid: ignore the header
  return { offset, length: end - offset + 1 };
}

function resolveRange(range: ByteRange, size: number): { start: number; end: number } | undefined {
  if ("suffix" in range) {
    if (size === 0) return undefined;
    return { start: Math.max(0, size - range.suffix), end: size - 1 };
  }
  if (range.offset >= size) return undefined;
  const end = range.length === undefined ? size - 1 : Math.min(size - 1, range.offset + range.length - 1);
  return { start: range.offset, end };
}

/** If-Range (§13.1.5): the range applies only while the client's copy is current. */
function ifRangeHolds(value: string | null, object: R2Object): boolean {
  if (value === null) return true;
  const tag = ETAG.exec(value);
  if (tag) return tag[1] === undefined && tag[2] === object.etag;
  const d = parseDate(value);
  return d !== undefined && d === seconds(object.uploaded);
}

// What a 304 may carry (RFC 9110 §15.4.5); representation headers such as Content-Type stay off it.
const NOT_MODIFIED_HEADERS = ["cache-control", "content-location", "date", "etag", "expires", "last-modified", "vary"];

function headersFor(object: R2Object, cacheControl: string | undefined, extra: HeadersInit | undefined): Headers {
  const headers = new Headers();
  object.writeHttpMetadata(headers);
  headers.set("etag", object.httpEtag);
  headers.set("last-modified", object.uploaded.toUTCString());
  headers.set("accept-ranges", "bytes");
  if (cacheControl !== undefined) headers.set("cache-control", cacheControl);
  if (extra !== undefined) for (const [k, v] of new Headers(extra)) headers.set(k, v);
  return headers;
}

function withoutBody(status: 304 | 412, headers: Headers): Response {
  if (status === 412) return new Response(null, { status });
  const kept = new Headers();
  for (const name of NOT_MODIFIED_HEADERS) {
    const v = headers.get(name);
    if (v !== null) kept.set(name, v);
  }
  return new Response(null, { status, headers: kept });
}

function hasBody(object: R2Object | R2ObjectBody): object is R2ObjectBody {
  return "body" in object;
}

/**
 * Serves an R2 object for GET and HEAD the way a CDN would: `ETag` is always the quoted `httpEtag`,
 * `If-None-Match`/`If-Modified-Since` give 304, `If-Match`/`If-Unmodified-Since` give 412, `Range` gives 206 with
 * `Content-Range` (suffix and open-ended too) or 416, and a missing object gives 404. The preconditions also go to R2
 * (unquoted etags) so a 304 never reads the body.
 *
 * @example
 * app.get("/files/:name", (c) => serveObject(c.req.raw, c.env.FILES, safeKey(c.req.param("name"), { prefix: "files" })));
 */
export async function serveObject(
  request: Request,
  bucket: R2Bucket,
  key: string,
  { cacheControl, headers: extra }: ServeObjectOptions = {},
): Promise<Response> {
  const method = request.method.toUpperCase();
  if (method !== "GET" && method !== "HEAD") {
    return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const p = preconditions(request.headers);

  if (method === "HEAD") {
    const object = await bucket.head(key);
    if (object === null) return new Response(null, { status: 404 });
    const headers = headersFor(object, cacheControl, extra);
    const status = evaluate(p, object);
    if (status !== 200) return withoutBody(status, headers);
    headers.set("content-length", String(object.size));
    return new Response(null, { status: 200, headers });
  }

  let range = parseRange(request.headers.get("range"));
  if (range !== undefined && request.headers.has("if-range")) {
    const head = await bucket.head(key);
    if (head === null) return new Response(null, { status: 404 });
    if (!ifRangeHolds(request.headers.get("if-range"), head)) range = undefined;
  }
  if (range === "invalid") return rangeNotSatisfiable(bucket, key, range, cacheControl, extra, p);

  const onlyIf = toR2Conditional(p);
  if (onlyIf === undefined && Object.keys(p).length > 0) {
    // R2 cannot run these preconditions itself: decide on the metadata first so a 304/412 never opens the body.
    const head = await bucket.head(key);
    if (head === null) return new Response(null, { status: 404 });
    const status = evaluate(p, head);
    if (status !== 200) return withoutBody(status, headersFor(head, cacheControl, extra));
  }
  let object: R2Object | R2ObjectBody | null;
  try {
    object = await bucket.get(key, {
      ...(onlyIf === undefined ? {} : { onlyIf }),
      ...(range === undefined ? {} : { range }),
    });
  } catch (error) {
    // R2 refuses a range that starts past the end; anything else is a real failure.
    if (range === undefined) throw error;
    return rangeNotSatisfiable(bucket, key, range, cacheControl, extra, p, error);
  }
  if (object === null) return new Response(null, { status: 404 });

  const status = evaluate(p, object);
  if (status !== 200) {
    if (hasBody(object)) await object.body.cancel();
    return withoutBody(status, headersFor(object, cacheControl, extra));
  }
  let body: R2ObjectBody;
  if (hasBody(object)) body = object;
  else {
    // R2's verdict and ours differ only on input R2 cannot express; ours follows the RFC, so fetch the body.
    const again = await bucket.get(key, range === undefined ? {} : { range });
    if (again === null) return new Response(null, { status: 404 });
    body = again;
  }
  const headers = headersFor(body, cacheControl, extra);
  if (range === undefined) return new Response(body.body, { status: 200, headers });
  const span = resolveRange(range, body.size);
  if (span === undefined) {
    await body.body.cancel();
    return new Response(null, { status: 416, headers: { "content-range": `bytes */${body.size}` } });
  }
  headers.set("content-range", `bytes ${span.start}-${span.end}/${body.size}`);
  return new Response(body.body, { status: 206, headers });
}

async function rangeNotSatisfiable(
  bucket: R2Bucket,
  key: string,
  range: ByteRange | "invalid",
  cacheControl: string | undefined,
  extra: HeadersInit | undefined,
  p: Preconditions,
  error?: unknown,
): Promise<Response> {
  const head = await bucket.head(key);
  if (head === null) return new Response(null, { status: 404 });
  const status = evaluate(p, head);
  if (status !== 200) return withoutBody(status, headersFor(head, cacheControl, extra));
  // The get failed for a range that fits the object: that is not a range problem, so let it surface.
  if (error !== undefined && range !== "invalid" && resolveRange(range, head.size) !== undefined) throw error;
  return new Response(null, { status: 416, headers: { "content-range": `bytes */${head.size}` } });
}
