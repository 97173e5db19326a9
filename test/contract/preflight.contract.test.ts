import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCloudflareApi } from "../../src/platform/cloudflare/api.js";
import {
  checkBindingsDeletedSince,
  checkPendingDurableObjectMigration,
  checkSecretsChangedSince,
} from "../../src/platform/cloudflare/preflight/index.js";
import { type ContractServer, startCloudflareApiServer } from "./cloudflare-api-server.js";

/** Contract tests for the pre-flight checks: they read the same API shapes wrangler reads, from the loopback server. */

let server: ContractServer;
let api: ReturnType<typeof createCloudflareApi>;

beforeAll(async () => {
  server = await startCloudflareApiServer();
  api = createCloudflareApi({
    accountId: server.state.accountId,
    apiToken: "t-preflight-123456",
    baseUrl: server.apiBaseUrl,
  });
});

afterAll(async () => {
  await server?.close();
});

const migrations = [
  { tag: "v1", new_sqlite_classes: ["Cart"] },
  { tag: "v2", new_sqlite_classes: ["Wishlist"] },
];

describe("pre-flight contract test: pending Durable Object migration (10211)", () => {
  it("flags a migration the deployed script has not applied, naming the pending tags", async () => {
    server.addScript("do-behind", { migrationTag: "v1" });
    const f = await checkPendingDurableObjectMigration(api, "do-behind", { migrations });
    expect(f).toMatchObject({ check: "pending-do-migration", code: 10211 });
    expect(f?.reason).toContain("(v2; deployed tag: v1)");
    expect(f?.fix).toBe(
      "ship it with `wrangler deploy`, in a release of its own, then upload code changes as versions",
    );
  });

  it("flags a Worker never deployed with migrations (the first one needs wrangler deploy too)", async () => {
    const f = await checkPendingDurableObjectMigration(api, "never-deployed", { migrations });
    expect(f?.reason).toContain("(v1, v2; deployed tag: none)");
  });

  it("passes when the deployed tag is the last one, or there are no migrations", async () => {
    server.addScript("do-current", { migrationTag: "v2" });
    expect(await checkPendingDurableObjectMigration(api, "do-current", { migrations })).toBeUndefined();
    expect(await checkPendingDurableObjectMigration(api, "do-current", { migrations: [] })).toBeUndefined();
  });
});

describe("pre-flight contract test: secrets changed since the rollback target (10220)", () => {
  it("flags a secret change made after the target, and secrets added since", async () => {
    const target = server.seedVersion("sec-worker", { "workers/triggered_by": "upload" }, [
      { type: "secret_text", name: "STRIPE_KEY" },
    ]);
    await new Promise((r) => setTimeout(r, 5));
    const changed = server.seedVersion("sec-worker", { "workers/triggered_by": "secret" }, [
      { type: "secret_text", name: "STRIPE_KEY" },
      { type: "secret_text", name: "WEBHOOK_SECRET" },
    ]);
    const f = await checkSecretsChangedSince(api, "sec-worker", target.id, changed.id);
    expect(f).toMatchObject({ check: "secrets-changed", code: 10220 });
    expect(f?.reason).toContain("secrets added or removed: WEBHOOK_SECRET");
    expect(f?.reason).toContain(`secret changes after it: ${changed.id}`);
  });

  it("passes when only code changed since the target", async () => {
    const a = server.seedVersion("code-worker", { "workers/triggered_by": "upload" }, [
      { type: "secret_text", name: "K" },
    ]);
    await new Promise((r) => setTimeout(r, 5));
    const b = server.seedVersion("code-worker", { "workers/triggered_by": "upload" }, [
      { type: "secret_text", name: "K" },
    ]);
    expect(await checkSecretsChangedSince(api, "code-worker", a.id, b.id)).toBeUndefined();
  });
});

describe("pre-flight contract test: bindings deleted since the rollback target", () => {
  it("flags each KV namespace, D1 database, R2 bucket and queue that no longer exists", async () => {
    server.addQueue("still-here");
    server.state.kvNamespaces.add("kv-alive");
    const v = server.seedVersion("bind-worker", {}, [
      { type: "kv_namespace", name: "CONFIG", namespace_id: "kv-gone" },
      { type: "kv_namespace", name: "CACHE", namespace_id: "kv-alive" },
      { type: "d1", name: "DB", database_id: "0d1d0d1d-0000-4000-8000-00000000dead" },
      { type: "r2_bucket", name: "RECEIPTS", bucket_name: "receipts-gone" },
      { type: "queue", name: "EVENTS", queue_name: "queue-gone" },
      { type: "queue", name: "OK", queue_name: "still-here" },
      { type: "plain_text", name: "MODE", text: "x" },
    ]);
    const f = await checkBindingsDeletedSince(api, "bind-worker", v.id);
    expect(f?.check).toBe("bindings-deleted");
    expect(f?.reason).toContain(
      "KV CONFIG (kv-gone), D1 DB (0d1d0d1d-0000-4000-8000-00000000dead), R2 RECEIPTS (receipts-gone), queue EVENTS (queue-gone)",
    );
    expect(f?.reason).not.toContain("kv-alive");
  });

  it("passes when every bound resource still exists: database_id, and a bucket in the EU jurisdiction", async () => {
    server.state.r2Buckets.add("default:receipts");
    server.state.r2Buckets.add("eu:receipts-eu");
    const db = server.addD1("shop");
    const v = server.seedVersion("bind-ok", {}, [
      { type: "r2_bucket", name: "RECEIPTS", bucket_name: "receipts" },
      { type: "r2_bucket", name: "RECEIPTS_EU", bucket_name: "receipts-eu", jurisdiction: "eu" },
      { type: "d1", name: "DB", database_id: db.uuid },
    ]);
    expect(await checkBindingsDeletedSince(api, "bind-ok", v.id)).toBeUndefined();
    const r2 = server.requests.filter((r) => r.path.endsWith("/r2/buckets/receipts-eu"));
    expect(r2.map((r) => r.headers["cf-r2-jurisdiction"])).toEqual(["eu"]);
  });

  it("warns and goes on when the token may not read a bound resource (403 on KV, R2)", async () => {
    const v = server.seedVersion("bind-403", {}, [
      { type: "kv_namespace", name: "CONFIG", namespace_id: "kv-secret" },
      { type: "r2_bucket", name: "RECEIPTS", bucket_name: "receipts" },
    ]);
    server.state.tokenPermissions = new Set(["Workers Scripts Read"]);
    const warnings: string[] = [];
    try {
      expect(await checkBindingsDeletedSince(api, "bind-403", v.id, (m) => warnings.push(m))).toBeUndefined();
    } finally {
      server.state.tokenPermissions = undefined;
    }
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/could not check KV CONFIG \(kv-secret\).*403|Authentication error/);
  });

  it("left no request unanswered, and every request and answer matches Cloudflare's schema", () => {
    expect(server.unknown).toEqual([]);
    expect(server.violations).toEqual([]);
  });
});
