import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCloudflareApi } from "../../src/platform/cloudflare/api.js";
import {
  assertRollbackPreflight,
  checkBindingsDeletedSince,
  checkPendingDurableObjectMigration,
  checkSecretsChangedSince,
  PreflightError,
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
      { type: "d1", name: "DB", id: "d1-gone" },
      { type: "r2_bucket", name: "RECEIPTS", bucket_name: "receipts-gone" },
      { type: "queue", name: "EVENTS", queue_name: "queue-gone" },
      { type: "queue", name: "OK", queue_name: "still-here" },
      { type: "plain_text", name: "MODE", text: "x" },
    ]);
    const f = await checkBindingsDeletedSince(api, "bind-worker", v.id);
    expect(f?.check).toBe("bindings-deleted");
    expect(f?.reason).toContain(
      "KV CONFIG (kv-gone), D1 DB (d1-gone), R2 RECEIPTS (receipts-gone), queue EVENTS (queue-gone)",
    );
    expect(f?.reason).not.toContain("kv-alive");
  });

  it("passes when every bound resource still exists", async () => {
    server.state.r2Buckets.add("receipts");
    const db = server.addD1("shop");
    const v = server.seedVersion("bind-ok", {}, [
      { type: "r2_bucket", name: "RECEIPTS", bucket_name: "receipts" },
      { type: "d1", name: "DB", id: db.uuid },
    ]);
    expect(await checkBindingsDeletedSince(api, "bind-ok", v.id)).toBeUndefined();
  });

  it("reports every failing check at once, and --force skips only the secrets check", async () => {
    const target = server.seedVersion("both-worker", {}, [{ type: "kv_namespace", name: "K", namespace_id: "nope" }]);
    await new Promise((r) => setTimeout(r, 5));
    const now = server.seedVersion("both-worker", { "workers/triggered_by": "secret" }, []);
    const opts = { scriptName: "both-worker", targetVersionId: target.id, currentVersionId: now.id };
    const err = await assertRollbackPreflight(api, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreflightError);
    expect((err as PreflightError).failures.map((x) => x.check)).toEqual(["secrets-changed", "bindings-deleted"]);
    expect((err as PreflightError).kind).toBe("failure");
    const forced = await assertRollbackPreflight(api, { ...opts, allowChangedSecrets: true }).catch((e: unknown) => e);
    expect((forced as PreflightError).failures.map((x) => x.check)).toEqual(["bindings-deleted"]);
  });

  it("left no request unanswered", () => {
    expect(server.unknown).toEqual([]);
  });
});
