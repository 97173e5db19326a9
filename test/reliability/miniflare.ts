// Shared by the reliability run and bench/queues.ts: the harness Worker bundled for Miniflare, and the shop's schema.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare, type MiniflareOptions } from "miniflare";

const root = new URL("../../", import.meta.url);
export const repoPath = (p: string): string => fileURLToPath(new URL(p, root));

let bundled: Promise<string> | undefined;

/** src/runtime/queues/reliability/test-worker.ts (with examples/shop's consumer) as one ES module for workerd. */
export function bundleHarnessWorker(): Promise<string> {
  bundled ??= build({
    entryPoints: [repoPath("src/runtime/queues/reliability/test-worker.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*"],
    alias: { "blastwall/queues": repoPath("src/runtime/queues/index.ts") },
    logLevel: "silent",
  }).then((r) => r.outputFiles[0]?.text ?? "");
  return bundled;
}

/**
 * Starts the harness Worker with the bindings it expects (shop D1 and KV, the idempotency Durable Object and KV),
 * applies examples/shop/migrations, and returns Miniflare; `extra` adds queues and settings.
 */
export async function startHarness(
  extra: Partial<MiniflareOptions> & { bindings: Record<string, string> },
): Promise<Miniflare> {
  const mf = new Miniflare({
    modules: [{ type: "ESModule", path: repoPath("harness-worker.mjs"), contents: await bundleHarnessWorker() }],
    compatibilityDate: "2026-04-01",
    compatibilityFlags: ["nodejs_compat"],
    d1Databases: { DB: "shop" },
    kvNamespaces: { CONFIG: "config", IDEM_KV: "idem" },
    durableObjects: { IDEMPOTENCY: { className: "IdempotencyShard", useSQLite: true } },
    ...extra,
  } as MiniflareOptions);
  const db = await mf.getD1Database("DB");
  const dir = repoPath("examples/shop/migrations");
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()) {
    const sql = readFileSync(`${dir}/${file}`, "utf8").replace(/--[^\n]*\n/g, "\n");
    const statements = sql
      .split(";")
      .map((s) => s.trim())
      .filter(Boolean);
    await db.batch(statements.map((s) => db.prepare(s)));
  }
  return mf;
}
