import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { defineBench, interleaved, median, percentile, round } from "./lib.js";

const entry = fileURLToPath(new URL("../src/runtime/ops/test-worker.ts", import.meta.url));
const TOKEN = "bench-admin-token-0123456789abcdef";

/** Bundles the runtime:ops test Worker (kill switch + admin API + flags object) the way wrangler would. */
async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    external: ["cloudflare:*"],
  });
  const file = out.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output for src/runtime/ops/test-worker.ts");
  return file.text;
}

/**
 * The kill switch's per-request cost: the same Worker in the same workerd run serves `/bare/*` (no guard) and
 * `/items/*` (kill switch reading `disable_writes` from the flags Durable Object through the per-isolate memo).
 * Half the requests are writes, which consult the flag; reads skip it.
 */
export default defineBench({
  name: "ops",
  description:
    "kill switch with memoised Durable Object flags vs the bare handler, same Worker, same workerd run (p50/p99 ratio, interleaved, half writes)",
  run: async () => {
    const mf = new Miniflare({
      modules: true,
      script: await bundle(),
      scriptPath: "ops-bench.js",
      compatibilityDate: "2026-04-01",
      compatibilityFlags: ["nodejs_compat"],
      durableObjects: {
        OPS_DO: { className: "BlastwallOpsFlags", useSQLite: true },
        OPS_DO_DOWN: { className: "OpsFlagsDown", useSQLite: true },
      },
      kvNamespaces: ["OPS_KV"],
      bindings: { OPS_ADMIN_TOKEN: TOKEN },
      // The Worker's logs (the admin API's audit lines) go to stderr: stdout carries only the bench's JSON.
      handleStructuredLogs: ({ level, message }: { level: string; message: string }) => {
        process.stderr.write(`[worker ${level}] ${message}\n`);
      },
    });
    try {
      const call = async (path: string, i: number) => {
        const write = i % 2 === 1;
        const res = await mf.dispatchFetch(`http://bench${path}/${i}`, write ? { method: "POST", body: "{}" } : {});
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`${path}: status ${res.status}`);
      };
      // The flag exists and is off, so every guarded write really consults it.
      const flip = await mf.dispatchFetch("http://bench/__blastwall/ops/flags/disable_writes", {
        method: "PUT",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ value: "0", actor: "bench" }),
      });
      await flip.arrayBuffer();
      if (flip.status !== 200) throw new Error(`setting disable_writes failed: ${flip.status}`);
      for (let i = 0; i < 300; i++) {
        await call("/bare", i);
        await call("/items", i);
      }
      const rounds = 3000;
      // Separate counters so both sides send the same sequence: read, write, read, write...
      let g = 0;
      let b = 0;
      const { a: guarded, b: bare } = await interleaved(
        rounds,
        () => call("/items", g++),
        () => call("/bare", b++),
      );
      // The guard really ran: with the flag on, a guarded write is refused.
      const on = await mf.dispatchFetch("http://bench/__blastwall/ops/flags/disable_writes", {
        method: "PUT",
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ value: "1", actor: "bench" }),
      });
      await on.arrayBuffer();
      const paused = await mf.dispatchFetch("http://bench/items/x", { method: "POST", body: "{}" });
      await paused.arrayBuffer();
      if (paused.status !== 503) throw new Error(`guard did not block a write with the flag on: ${paused.status}`);
      return [
        { name: "requests_per_side", value: rounds, unit: "count" },
        { name: "bare_p50_ms", value: round(median(bare), 3), unit: "ms" },
        { name: "guarded_p50_ms", value: round(median(guarded), 3), unit: "ms" },
        { name: "bare_p99_ms", value: round(percentile(bare, 0.99), 3), unit: "ms" },
        { name: "guarded_p99_ms", value: round(percentile(guarded, 0.99), 3), unit: "ms" },
        { name: "p50_ratio", value: round(median(guarded) / median(bare), 3), unit: "ratio" },
        { name: "p99_ratio", value: round(percentile(guarded, 0.99) / percentile(bare, 0.99), 3), unit: "ratio" },
      ];
    } finally {
      await mf.dispose();
    }
  },
});
