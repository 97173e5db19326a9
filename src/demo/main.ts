import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Miniflare } from "miniflare";
import { createOutput } from "../cli/output.js";

// Interim demo for the foundation: runs examples/shop on workerd and shows it serving. The release,
// canary and incident story replaces it as those issues land.
const root = new URL("../../", import.meta.url).pathname;
const shop = join(root, "examples", "shop");
const out = createOutput();
const steps: { name: string; outcome: string; seconds: number; numbers: Record<string, number> }[] = [];

async function step<T extends Record<string, number>>(name: string, fn: () => Promise<T>): Promise<T> {
  const s = out.step(name);
  const t0 = performance.now();
  try {
    const numbers = await fn();
    const seconds = Math.round(performance.now() - t0) / 1000;
    steps.push({ name, outcome: "ok", seconds, numbers });
    s.ok(
      Object.entries(numbers)
        .map(([k, v]) => `${k}=${v}`)
        .join(" "),
    );
    return numbers;
  } catch (err) {
    steps.push({ name, outcome: "failed", seconds: Math.round(performance.now() - t0) / 1000, numbers: {} });
    s.fail((err as Error).message);
    throw err;
  }
}

function bundle(worker: string): string {
  const outdir = mkdtempSync(join(tmpdir(), `bw-demo-${worker}-`));
  execFileSync(
    process.execPath,
    [
      join(root, "node_modules/wrangler/bin/wrangler.js"),
      "deploy",
      "--dry-run",
      "--outdir",
      outdir,
      "-c",
      join(shop, worker, "wrangler.jsonc"),
    ],
    { stdio: "ignore", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  return join(outdir, "index.js");
}

let mf: Miniflare | undefined;
let ok = true;
try {
  let api = "";
  let consumer = "";
  await step("bundle shop-api and shop-consumer with wrangler", async () => {
    const t0 = performance.now();
    api = bundle("api");
    consumer = bundle("consumer");
    return { bundle_ms: Math.round(performance.now() - t0) };
  });
  mf = new Miniflare({
    workers: [
      {
        name: "shop-api",
        modules: true,
        scriptPath: api,
        modulesRoot: dirname(api),
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["nodejs_compat"],
        d1Databases: { DB: "shop" },
        kvNamespaces: { CONFIG: "config" },
        r2Buckets: { RECEIPTS: "receipts" },
        durableObjects: { CARTS: { className: "Cart", useSQLite: true } },
        queueProducers: { ORDER_EVENTS: "order-events" },
      },
      {
        name: "shop-consumer",
        modules: true,
        scriptPath: consumer,
        modulesRoot: dirname(consumer),
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["nodejs_compat"],
        d1Databases: { DB: "shop" },
        kvNamespaces: { CONFIG: "config" },
        queueProducers: { ORDER_EVENTS_DLQ: "order-events-dlq" },
        queueConsumers: {
          "order-events": { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 5, deadLetterQueue: "order-events-dlq" },
        },
      },
    ],
  });
  const local = mf;
  await step("apply D1 migrations on workerd", async () => {
    const db = await local.getD1Database("DB", "shop-api");
    const files = readdirSync(join(shop, "migrations"))
      .filter((f) => f.endsWith(".sql"))
      .sort();
    for (const f of files) {
      const sql = readFileSync(join(shop, "migrations", f), "utf8").replace(/--[^\n]*/g, "");
      for (const stmt of sql
        .split(";")
        .map((s) => s.trim())
        .filter(Boolean))
        await db.prepare(stmt).run();
    }
    return { migrations: files.length };
  });
  await step("serve traffic: health, orders, carts", async () => {
    let ok2xx = 0;
    const n = 50;
    for (let i = 0; i < n; i++) {
      const res = await local.dispatchFetch("http://shop/orders", {
        method: "POST",
        body: JSON.stringify({ userId: `u${i % 5}`, items: [{ sku: "tea", quantity: 1 + (i % 3), priceCents: 450 }] }),
      });
      if (res.status === 201) ok2xx++;
      await res.arrayBuffer();
    }
    const health = await local.dispatchFetch("http://shop/healthz");
    await health.arrayBuffer();
    return { requests: n + 1, created: ok2xx, health_status: health.status };
  });
  await step("shop-consumer confirms every order from the queue", async () => {
    const db = await local.getD1Database("DB", "shop-api");
    const deadline = Date.now() + 20_000;
    let confirmed = 0;
    while (Date.now() < deadline) {
      const row = await db
        .prepare("SELECT count(*) AS n FROM orders WHERE status = 'confirmed'")
        .first<{ n: number }>();
      confirmed = row?.n ?? 0;
      if (confirmed >= 50) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (confirmed < 50) throw new Error(`only ${confirmed}/50 orders confirmed`);
    return { confirmed };
  });
} catch (err) {
  ok = false;
  out.error(`demo failed: ${(err as Error).message}`);
} finally {
  await mf?.dispose();
  mkdirSync(join(root, ".blastwall"), { recursive: true });
  writeFileSync(join(root, ".blastwall", "demo-report.json"), `${JSON.stringify({ ok, steps }, null, 2)}\n`);
  out.line(ok ? "demo ok: .blastwall/demo-report.json" : "demo FAILED: see .blastwall/demo-report.json");
  out.close();
}
process.exitCode = ok ? 0 : 1;
