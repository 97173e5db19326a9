// The files of a small user app that installs blastwall from the packed tarball: one Worker that uses every
// runtime entry the way the README does, a D1 migration, a blastwall.config.ts, and strict TypeScript.

/** The package.json exports a Worker imports; `./config` runs in Node (it loads blastwall.config.ts). */
export function runtimeEntries(exports: Record<string, unknown>): string[] {
  return Object.keys(exports)
    .filter((k) => k !== "./package.json" && k !== "./config")
    .map((k) => k.slice(2));
}

/** What the app's Worker imports from each entry; a new entry without a line here fails the test, on purpose. */
export const ENTRY_USES: Record<string, string> = {
  d1: 'import { sql } from "blastwall/d1";',
  durable: 'import { retryDurable } from "blastwall/durable";',
  hono: 'import { blastwallErrors, killSwitch } from "blastwall/hono";',
  ops: 'import { BlastwallOpsFlags, createFlagReader, defineFlags, durableObjectStore } from "blastwall/ops";',
  queues: 'import { consume, kvIdempotency } from "blastwall/queues";',
  r2: 'import { safeKey, serveObject } from "blastwall/r2";',
  telemetry: 'import { withTelemetry } from "blastwall/telemetry";',
};

const WORKER_BODY = `import { Hono } from "hono";

export { BlastwallOpsFlags };

export interface Env {
  DB: D1Database;
  IDEMPOTENCY: KVNamespace;
  FILES: R2Bucket;
  OPS_FLAGS: DurableObjectNamespace<BlastwallOpsFlags>;
  TELEMETRY?: AnalyticsEngineDataset;
  CF_VERSION_METADATA?: WorkerVersionMetadata;
}

interface ItemAdded {
  id: string;
  name: string;
}

const FLAGS = defineFlags({ disable_writes: { failMode: "open", description: "503 every write" } });
const flags = (env: Env) => createFlagReader({ flags: FLAGS, store: durableObjectStore(env.OPS_FLAGS) });

const app = new Hono<{ Bindings: Env }>();
app.use(killSwitch<Env>({ reader: flags, health: ["/healthz"] }));
app.get("/healthz", (c) => c.json({ ok: true }));
app.get("/items/:id", async (c) => {
  const row = await sql\`SELECT id, name FROM items WHERE id = \${c.req.param("id")}\`.prepare(c.env.DB).first();
  return row ? c.json(row) : c.json({ error: "not found" }, 404);
});
app.get("/files/:name", (c) =>
  serveObject(c.req.raw, c.env.FILES, safeKey(c.req.param("name"), { prefix: "files" })),
);
app.get("/flags/ping", async (c) => {
  const res = await retryDurable(
    () => c.env.OPS_FLAGS.get(c.env.OPS_FLAGS.idFromName("global")),
    (stub) => stub.fetch("https://flags/ping"),
  );
  return c.json({ status: res.status });
});
app.onError(blastwallErrors());

export default withTelemetry<Env, ExportedHandler<Env>>(
  {
    fetch: (request, env, ctx) => app.fetch(request, env, ctx),
    async queue(batch, env) {
      await consume<ItemAdded>(
        batch,
        (item) => [sql\`INSERT INTO items (id, name) VALUES (\${item.id}, \${item.name})\`.prepare(env.DB)],
        { idempotency: kvIdempotency(env.IDEMPOTENCY), sideEffects: env.DB },
      );
    },
  },
  { worker: "pkg-app", dataset: (env) => env.TELEMETRY, version: (env) => env.CF_VERSION_METADATA },
);
`;

const WRANGLER = {
  $schema: "node_modules/wrangler/config-schema.json",
  name: "pkg-app",
  main: "src/index.ts",
  compatibility_date: "2026-04-01",
  d1_databases: [{ binding: "DB", database_name: "pkg-app", database_id: "00000000-0000-4000-8000-000000000001" }],
  kv_namespaces: [{ binding: "IDEMPOTENCY", id: "00000000000000000000000000000002" }],
  r2_buckets: [{ binding: "FILES", bucket_name: "pkg-app-files" }],
  durable_objects: { bindings: [{ name: "OPS_FLAGS", class_name: "BlastwallOpsFlags" }] },
  migrations: [{ tag: "v1", new_sqlite_classes: ["BlastwallOpsFlags"] }],
  queues: {
    consumers: [{ queue: "items", max_retries: 5, dead_letter_queue: "items-dlq" }],
  },
  analytics_engine_datasets: [{ binding: "TELEMETRY", dataset: "pkg_app" }],
  version_metadata: { binding: "CF_VERSION_METADATA" },
};

const TSCONFIG = {
  compilerOptions: {
    target: "ES2022",
    module: "ESNext",
    moduleResolution: "Bundler",
    lib: ["ES2022"],
    types: ["@cloudflare/workers-types"],
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    noEmit: true,
    // blastwall's own .d.ts are part of what is checked.
    skipLibCheck: false,
  },
  include: ["src"],
};

const BLASTWALL_CONFIG = `import { defineConfig } from "blastwall/config";

export default defineConfig({
  defaults: { soak: "30m", noData: { deadline: "10m", action: "rollback" } },
  workers: { "pkg-app": { smoke: [{ path: "/healthz", bodyMatch: '"ok":true' }], steps: [10, 50, 100] } },
});
`;

/** The app's files by relative path; throws when an entry has no usage line (so none is skipped quietly). */
export function appFiles(entries: string[]): Record<string, string> {
  const missing = entries.filter((e) => !ENTRY_USES[e]);
  if (missing.length > 0) {
    throw new Error(`no usage of blastwall/${missing.join(", blastwall/")} in scripts/package-test/app-files.ts`);
  }
  const imports = entries.map((e) => ENTRY_USES[e]).join("\n");
  return {
    "src/index.ts": `${imports}\n${WORKER_BODY}`,
    "wrangler.jsonc": `${JSON.stringify(WRANGLER, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(TSCONFIG, null, 2)}\n`,
    "migrations/0001_items.sql": "CREATE TABLE items (id TEXT PRIMARY KEY, name TEXT NOT NULL);\n",
    "blastwall.config.ts": BLASTWALL_CONFIG,
  };
}

/** A Worker that keeps all of one entry (its namespace object is used), to measure what the entry adds. */
export function sizeProbe(entry: string | undefined): Record<string, string> {
  const body = entry
    ? `import * as entry from "blastwall/${entry}";\nexport default { fetch: () => new Response(String(Object.keys(entry).length)) };\n`
    : `export default { fetch: () => new Response("0") };\n`;
  const config = { name: `size-${entry ?? "baseline"}`, main: "index.ts", compatibility_date: "2026-04-01" };
  return { "index.ts": body, "wrangler.json": `${JSON.stringify(config, null, 2)}\n` };
}
