import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { defineBench, interleaved, median, percentile, round } from "./lib.js";

// The Worker under test, bundled with the real src/runtime/r2 by esbuild (as wrangler would bundle it).
// /serve uses serveObject; /hand is what people write by hand: get, writeHttpMetadata, etag, body. /hand304 is the
// hand-written conditional GET as R2's docs show it (onlyIf: the request's headers; no body means 304): the fair
// baseline for serveObject's 304 path.
const worker = `
import { serveObject } from "./src/runtime/r2/index.ts";
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const key = url.pathname.slice(url.pathname.indexOf("/", 1) + 1);
    if (url.pathname.startsWith("/serve/")) return serveObject(request, env.BUCKET, key);
    if (url.pathname.startsWith("/hand304/")) {
      const object = await env.BUCKET.get(key, { onlyIf: request.headers });
      if (object === null) return new Response("not found", { status: 404 });
      const headers = new Headers();
      object.writeHttpMetadata(headers);
      headers.set("etag", object.httpEtag);
      return "body" in object ? new Response(object.body, { headers }) : new Response(null, { status: 304, headers });
    }
    const object = await env.BUCKET.get(key);
    if (object === null) return new Response("not found", { status: 404 });
    const headers = new Headers();
    object.writeHttpMetadata(headers);
    headers.set("etag", object.httpEtag);
    return new Response(object.body, { headers });
  },
};
`;

async function bundle(): Promise<string> {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const out = await build({
    stdin: { contents: worker, resolveDir: root, loader: "js", sourcefile: "bench-r2-worker.js" },
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    write: false,
    minify: true,
  });
  const file = out.outputFiles[0];
  if (file === undefined) throw new Error("esbuild produced no output");
  return file.text;
}

/**
 * serveObject against a hand-written R2 get, both in one Miniflare (workerd) and interleaved ABAB, on the same
 * 16 KiB object. Reports the ratio of medians; the target is ≤ 1.10. The 304 path is compared with a hand-written
 * 304 (the fair baseline), and, for scale, with the hand-written GET that ignores If-None-Match and sends the body.
 * Left out: ranges (206) and 412, and R2 over the network (Miniflare's R2 is local).
 */
export default defineBench({
  name: "r2",
  description:
    "serveObject GET vs a hand-written R2 get (writeHttpMetadata + etag), and serveObject's 304 vs a hand-written 304 (onlyIf), in the same Miniflare, interleaved",
  run: async () => {
    const mf = new Miniflare({
      modules: true,
      script: await bundle(),
      compatibilityDate: "2026-04-01",
      r2Buckets: ["BUCKET"],
    });
    try {
      const bucket = await mf.getR2Bucket("BUCKET");
      const body = new Uint8Array(16 * 1024).fill(97);
      const put = await bucket.put("bench/object.bin", body, {
        httpMetadata: { contentType: "application/octet-stream" },
      });
      const fetchAll = async (path: string, headers: Record<string, string> = {}) => {
        const res = await mf.dispatchFetch(`http://bench${path}`, { headers });
        await res.arrayBuffer();
        if (res.status !== 200 && res.status !== 304) throw new Error(`${path}: ${res.status}`);
        return res.status;
      };
      // A 304 bench that got 200s would compare the wrong paths: insist on 304 from both.
      const notModifiedFrom = async (path: string) => {
        const status = await fetchAll(path, { "if-none-match": put.httpEtag });
        if (status !== 304) throw new Error(`${path} answered ${status} to a matching If-None-Match, not 304`);
      };
      // Warm both paths so neither pays first-request costs in the sample.
      for (let i = 0; i < 50; i++) {
        await fetchAll("/serve/bench/object.bin");
        await fetchAll("/hand/bench/object.bin");
        await notModifiedFrom("/hand304/bench/object.bin");
      }
      const rounds = 400;
      const get = await interleaved(
        rounds,
        () => fetchAll("/serve/bench/object.bin"),
        () => fetchAll("/hand/bench/object.bin"),
      );
      // The 304 path against the hand-written 304, then against a handler that ignores If-None-Match (sends 200).
      const notModified = await interleaved(
        rounds,
        () => notModifiedFrom("/serve/bench/object.bin"),
        () => notModifiedFrom("/hand304/bench/object.bin"),
      );
      const conditional = await interleaved(
        rounds,
        () => fetchAll("/serve/bench/object.bin", { "if-none-match": put.httpEtag }),
        () => fetchAll("/hand/bench/object.bin", { "if-none-match": put.httpEtag }),
      );
      return [
        { name: "serve_p50_ms", value: round(median(get.a)), unit: "ms" },
        { name: "hand_get_p50_ms", value: round(median(get.b)), unit: "ms" },
        { name: "serve_overhead_ratio", value: round(median(get.a) / median(get.b), 3), unit: "ratio" },
        {
          name: "serve_overhead_p90_ratio",
          value: round(percentile(get.a, 0.9) / percentile(get.b, 0.9), 3),
          unit: "ratio",
        },
        { name: "serve_304_p50_ms", value: round(median(notModified.a)), unit: "ms" },
        { name: "hand_304_p50_ms", value: round(median(notModified.b)), unit: "ms" },
        {
          name: "serve_304_vs_hand_304_ratio",
          value: round(median(notModified.a) / median(notModified.b), 3),
          unit: "ratio",
        },
        {
          name: "revalidate_304_vs_hand_200_ratio",
          value: round(median(conditional.a) / median(conditional.b), 3),
          unit: "ratio",
        },
      ];
    } finally {
      await mf.dispose();
    }
  },
});
