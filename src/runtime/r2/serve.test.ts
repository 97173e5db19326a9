import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { serveObject } from "./serve.js";

declare global {
  namespace Cloudflare {
    interface Env {
      R2_BUCKET: R2Bucket;
    }
  }
}

const KEY = "serve/hello.txt";
const BODY = "0123456789abcdefghij"; // 20 bytes
let etag = ""; // unquoted, as R2 reports it
let httpEtag = "";
let uploaded = new Date(0);

const sec = (d: Date, delta: number): string =>
  new Date(Math.floor(d.getTime() / 1000) * 1000 + delta * 1000).toUTCString();

function get(headers: Record<string, string> = {}, method = "GET"): Promise<Response> {
  return serveObject(new Request("https://x/hello.txt", { method, headers }), env.R2_BUCKET, KEY, {
    cacheControl: "public, max-age=60",
  });
}

beforeAll(async () => {
  const put = await env.R2_BUCKET.put(KEY, BODY, {
    httpMetadata: { contentType: "text/plain", contentLanguage: "en", contentDisposition: "inline" },
  });
  etag = put.etag;
  httpEtag = put.httpEtag;
  uploaded = put.uploaded;
});

describe("serveObject: plain GET and HEAD", () => {
  it("serves the body with writeHttpMetadata headers and the quoted httpEtag", async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(BODY);
    expect(httpEtag).toBe(`"${etag}"`);
    expect(res.headers.get("etag")).toBe(httpEtag);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(res.headers.get("content-language")).toBe("en");
    expect(res.headers.get("content-disposition")).toBe("inline");
    expect(res.headers.get("cache-control")).toBe("public, max-age=60");
    expect(res.headers.get("last-modified")).toBe(uploaded.toUTCString());
    expect(res.headers.get("accept-ranges")).toBe("bytes");
  });

  it("answers HEAD with the same headers and no body", async () => {
    const res = await get({}, "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers.get("etag")).toBe(httpEtag);
    expect(res.headers.get("content-length")).toBe("20");
    expect(await res.text()).toBe("");
  });

  it("gives 404 for a missing object, GET and HEAD", async () => {
    for (const method of ["GET", "HEAD"]) {
      const res = await serveObject(new Request("https://x/", { method }), env.R2_BUCKET, "serve/missing");
      expect(res.status).toBe(404);
    }
    const ranged = await serveObject(
      new Request("https://x/", { headers: { range: "bytes=0-1", "if-none-match": httpEtag } }),
      env.R2_BUCKET,
      "serve/missing",
    );
    expect(ranged.status).toBe(404);
  });

  it("refuses other methods with 405 and Allow", async () => {
    const res = await serveObject(new Request("https://x/", { method: "DELETE" }), env.R2_BUCKET, KEY);
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});

// [name, request headers, expected status]. Each row runs for GET and HEAD.
const matrix = (): [string, Record<string, string>, number][] => [
  ["If-None-Match current", { "if-none-match": httpEtag }, 304],
  ["If-None-Match weak current", { "if-none-match": `W/${httpEtag}` }, 304],
  ["If-None-Match in a list", { "if-none-match": `"nope", ${httpEtag}` }, 304],
  ["If-None-Match *", { "if-none-match": "*" }, 304],
  ["If-None-Match stale", { "if-none-match": '"stale"' }, 200],
  ["If-None-Match stale list", { "if-none-match": '"a", "b"' }, 200],
  ["If-Match current", { "if-match": httpEtag }, 200],
  ["If-Match *", { "if-match": "*" }, 200],
  ["If-Match in a list", { "if-match": `"x", ${httpEtag}` }, 200],
  ["If-Match stale", { "if-match": '"stale"' }, 412],
  ["If-Match weak (never matches strongly)", { "if-match": `W/${httpEtag}` }, 412],
  ["If-Match stale list", { "if-match": '"a", "b"' }, 412],
  ["If-Modified-Since = upload second", { "if-modified-since": sec(uploaded, 0) }, 304],
  ["If-Modified-Since later", { "if-modified-since": sec(uploaded, 60) }, 304],
  ["If-Modified-Since earlier", { "if-modified-since": sec(uploaded, -60) }, 200],
  ["If-Modified-Since invalid date is ignored", { "if-modified-since": "yesterday" }, 200],
  ["If-Unmodified-Since = upload second", { "if-unmodified-since": sec(uploaded, 0) }, 200],
  ["If-Unmodified-Since later", { "if-unmodified-since": sec(uploaded, 60) }, 200],
  ["If-Unmodified-Since earlier", { "if-unmodified-since": sec(uploaded, -60) }, 412],
  [
    "If-None-Match stale wins over If-Modified-Since (ignored)",
    { "if-none-match": '"stale"', "if-modified-since": sec(uploaded, 60) },
    200,
  ],
  [
    "If-None-Match current wins over If-Modified-Since earlier",
    { "if-none-match": httpEtag, "if-modified-since": sec(uploaded, -60) },
    304,
  ],
  [
    "If-Match current makes If-Unmodified-Since ignored",
    { "if-match": httpEtag, "if-unmodified-since": sec(uploaded, -60) },
    200,
  ],
  ["If-Match fails before If-None-Match is looked at", { "if-match": '"stale"', "if-none-match": httpEtag }, 412],
  ["If-Match passes, If-None-Match current", { "if-match": httpEtag, "if-none-match": httpEtag }, 304],
  [
    "If-Unmodified-Since fails before If-Modified-Since",
    { "if-unmodified-since": sec(uploaded, -60), "if-modified-since": sec(uploaded, 60) },
    412,
  ],
];

describe("serveObject: conditional matrix against the real R2 binding", () => {
  it("evaluates every row for GET and HEAD", async () => {
    for (const [name, headers, status] of matrix()) {
      for (const method of ["GET", "HEAD"]) {
        const res = await get(headers, method);
        expect(res.status, `${method} ${name}`).toBe(status);
        const text = await res.text();
        if (status === 200) {
          expect(text, `${method} ${name}`).toBe(method === "GET" ? BODY : "");
          expect(res.headers.get("etag")).toBe(httpEtag);
        } else {
          expect(text, `${method} ${name}`).toBe("");
        }
        if (status === 304) {
          expect(res.headers.get("etag"), `${method} ${name}`).toBe(httpEtag);
          expect(res.headers.get("cache-control")).toBe("public, max-age=60");
          expect(res.headers.get("last-modified")).toBe(uploaded.toUTCString());
          expect(res.headers.get("content-type"), "304 carries no representation headers").toBeNull();
        }
      }
    }
  });

  it("passes R2 the unquoted etag (a quoted one makes workerd throw)", async () => {
    await expect(env.R2_BUCKET.get(KEY, { onlyIf: { etagDoesNotMatch: httpEtag } })).rejects.toThrow();
    const viaR2 = await env.R2_BUCKET.get(KEY, { onlyIf: { etagDoesNotMatch: etag } });
    expect(viaR2 !== null && !("body" in viaR2)).toBe(true);
    let seen: R2Conditional | Headers | undefined;
    const spy = new Proxy(env.R2_BUCKET, {
      get(target, prop) {
        if (prop === "get") {
          return (k: string, o?: R2GetOptions) => {
            seen = o?.onlyIf;
            return target.get(k, o);
          };
        }
        const v = Reflect.get(target, prop);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const res = await serveObject(new Request("https://x/", { headers: { "if-none-match": httpEtag } }), spy, KEY);
    expect(res.status).toBe(304);
    expect(seen).toMatchObject({ etagDoesNotMatch: etag });
  });
});

describe("serveObject: ranges against the real R2 binding", () => {
  const cases: [string, string, number, string | null, string][] = [
    ["closed", "bytes=2-5", 206, "bytes 2-5/20", "2345"],
    ["open-ended", "bytes=15-", 206, "bytes 15-19/20", "fghij"],
    ["suffix", "bytes=-3", 206, "bytes 17-19/20", "hij"],
    ["suffix longer than the object", "bytes=-50", 206, "bytes 0-19/20", BODY],
    ["end past the object is clamped", "bytes=18-99", 206, "bytes 18-19/20", "ij"],
    ["single byte", "bytes=0-0", 206, "bytes 0-0/20", "0"],
    ["start past the end", "bytes=20-", 416, "bytes */20", ""],
    ["zero-length suffix", "bytes=-0", 416, "bytes */20", ""],
    ["multi-range is served whole", "bytes=0-1,4-5", 200, null, BODY],
    ["malformed is ignored", "bytes=5-2", 200, null, BODY],
    ["other unit is ignored", "items=0-1", 200, null, BODY],
  ];
  it.each(cases)("%s (%s)", async (_name, range, status, contentRange, body) => {
    const res = await get({ range });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-range")).toBe(contentRange);
    expect(await res.text()).toBe(body);
    if (status === 206) {
      expect(res.headers.get("etag")).toBe(httpEtag);
      expect(res.headers.get("content-type")).toBe("text/plain");
    }
  });

  it("applies If-Range only while the client's copy is current", async () => {
    const same = await get({ range: "bytes=0-1", "if-range": httpEtag });
    expect(same.status).toBe(206);
    expect(await same.text()).toBe("01");
    const stale = await get({ range: "bytes=0-1", "if-range": '"stale"' });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(BODY);
    const byDate = await get({ range: "bytes=0-1", "if-range": uploaded.toUTCString() });
    expect(byDate.status).toBe(206);
    await byDate.text();
  });

  it("checks preconditions before ranges", async () => {
    const notModified = await get({ range: "bytes=0-1", "if-none-match": httpEtag });
    expect(notModified.status).toBe(304);
    const failed = await get({ range: "bytes=0-1", "if-match": '"stale"' });
    expect(failed.status).toBe(412);
    const outOfRangeButNotModified = await get({ range: "bytes=99-", "if-none-match": httpEtag });
    expect(outOfRangeButNotModified.status).toBe(304);
    const ok = await get({ range: "bytes=0-1", "if-match": httpEtag });
    expect(ok.status).toBe(206);
    expect(await ok.text()).toBe("01");
  });

  it("answers HEAD with the whole length, ignoring Range", async () => {
    const res = await get({ range: "bytes=0-1" }, "HEAD");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-length")).toBe("20");
  });
});
