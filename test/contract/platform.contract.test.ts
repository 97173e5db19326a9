import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ContractServer, startCloudflareApiServer } from "./cloudflare-api-server.js";
import { ADMIN, type FakeClock, fakeClock, harnessPlatform, tempProject } from "./harness.js";
import { analyticsAnswer } from "./schema/analytics-engine.js";

/**
 * Contract tests for the REST-only paths of the Cloudflare target, each on a documented behaviour the old fake hid:
 * the token's scopes (doctor), the account from the config or the token, short ids and tags, restore points older
 * than the ~10 deployments the API lists, paged Durable Object namespaces, preview URLs and `<name>-<env>` overrides,
 * Workers for Platforms, and Analytics Engine rows that arrive late.
 */

let api: ContractServer;
let project: string;
const clock: FakeClock = fakeClock(Date.parse("2026-12-01T10:00:00Z"));
const D1 = "5f0c3f2e-7a5b-4f4e-9a52-0b2c7d4c1a11";

beforeAll(async () => {
  api = await startCloudflareApiServer({ opsAdminToken: ADMIN, clock });
  project = tempProject({ kv_namespaces: [{ binding: "CONFIG", id: "kv-config" }] });
  api.state.kvNamespaces.add("kv-config");
  api.addQueue("order-events");
  api.addD1("shop", D1);
});

afterAll(async () => {
  await api?.close();
  rmSync(project, { recursive: true, force: true });
});

const platform = (o: { noAccountEnv?: boolean; projectDir?: string; env?: string } = {}) =>
  harnessPlatform({ api, projectDir: o.projectDir ?? project, clock, ...o });

describe("Cloudflare target contract tests (REST)", () => {
  it("doctor names the scope a token lacks, from its own policies or by probing reads", async () => {
    api.state.tokenPermissions = new Set(["Workers Scripts Read", "Workers Scripts Write", "Queues Read"]);
    try {
      const probed = await platform().doctor();
      const status = Object.fromEntries(probed.scopes.map((s) => [s.permission, s.status]));
      expect(status["Workers KV Storage Read"]).toBe("missing");
      expect(status["D1 Read"]).toBe("missing");
      expect(status["Queues Read"]).toBe("ok");
      expect(status["Workers Scripts Write"]).toBe("unverified");
      api.state.tokenPermissions.add("API Tokens Read");
      const exact = await platform().doctor();
      const missing = exact.scopes.filter((s) => s.status === "missing").map((s) => s.permission);
      expect(missing).toEqual(
        expect.arrayContaining([
          "Account Analytics Read",
          "D1 Write",
          "D1 Read",
          "Queues Write",
          "Workers KV Storage Read",
        ]),
      );
      expect(missing).not.toContain("Workers Scripts Write");
      expect(exact.scopes.find((s) => s.permission === "Workers KV Storage Read")?.neededFor[0]).toContain("KV CONFIG");
    } finally {
      api.state.tokenPermissions = undefined;
    }
  });

  it("takes the account from the config's account_id, else the only account the token sees", async () => {
    const withId = tempProject({ account_id: api.state.accountId });
    try {
      api.addScript("shop-api");
      const before = api.requests.length;
      expect(await platform({ noAccountEnv: true, projectDir: withId }).currentDeployment("shop-api")).toBeUndefined();
      expect(api.requests.slice(before).some((r) => r.path === "/client/v4/accounts")).toBe(false);
      expect(await platform({ noAccountEnv: true }).currentDeployment("shop-api")).toBeUndefined();
      expect(api.requests.slice(before).some((r) => r.path === "/client/v4/accounts")).toBe(true);
    } finally {
      rmSync(withId, { recursive: true, force: true });
    }
  });

  it("resolves short ids and tags to full ids before Cloudflare sees them, across pages of versions", async () => {
    api.state.scripts.delete("ids");
    const tagged = api.seedVersion("ids", { "workers/tag": "v2" }).id;
    for (let i = 0; i < 25; i++) api.seedVersion("ids");
    const cf = platform();
    expect(await cf.resolveVersionId("ids", "v2")).toBe(tagged);
    expect(await cf.resolveVersionId("ids", tagged.slice(0, 8))).toBe(tagged);
    expect(await cf.listVersions("ids")).toHaveLength(26);
    await expect(cf.resolveVersionId("ids", "nope")).rejects.toThrow(
      /no version of ids has the id prefix or tag "nope"/,
    );
  });

  it("keeps restore points older than the ~10 deployments the API lists, through Time Travel", async () => {
    api.addScript("shop-api");
    const cf = platform();
    const sql = (q: string) =>
      cf.api.account(`/d1/database/${D1}/query`, { method: "POST", body: JSON.stringify({ sql: q }) });
    const at = () => new Date(clock.now()).toISOString().replace("T", " ").slice(0, 19);
    await sql("CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)");
    await sql("CREATE TABLE orders (id TEXT)");
    await sql("INSERT INTO orders VALUES ('before-0002')");
    await clock.sleep(5_000);
    await sql(`INSERT INTO d1_migrations (name, applied_at) VALUES ('0002_add_status.sql', '${at()}')`);
    await sql("ALTER TABLE orders ADD COLUMN status TEXT");
    const v = api.seedVersion("shop-api").id;
    for (let i = 0; i < 12; i++) api.seedDeployment("shop-api", [{ version_id: v, percentage: 100 }], `deploy ${i}`);
    const points = await cf.listRestorePoints("shop-api", "shop");
    const rp = points.find((p) => p.beforeMigration === "0002_add_status.sql");
    expect(rp?.bookmark).toMatch(/^[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/);
    await cf.restore("shop-api", "shop", rp?.bookmark ?? "");
    const cols = api.state.d1.get(D1)?.db.prepare("SELECT name FROM pragma_table_info('orders')").all();
    expect(cols).toEqual([{ name: "id" }]);
    // The restore's own undo bookmark is kept as a restore point too.
    expect((await cf.listRestorePoints("shop-api", "shop")).some((p) => p.beforeMigration === "undo-restore")).toBe(
      true,
    );
  });

  it("reads every page of Durable Object namespaces", async () => {
    api.state.durableObjectNamespaces = Array.from({ length: 14 }, (_, i) => ({
      id: `ns-${i}`,
      name: `other_${i}`,
      script: i === 13 ? "shop-api" : "other",
      class: "Cart",
      use_sqlite: true,
    }));
    let asked: unknown;
    api.state.graphql = (q, vars) => {
      if (q.includes("durableObjectsInvocationsAdaptiveGroups")) asked = vars.namespaceIds;
      return { data: { viewer: { accounts: [] } }, errors: null };
    };
    const since = new Date(clock.now() - 300_000);
    await platform().extraSignals({ worker: "shop-api", since, queues: [], durableObjects: ["Cart"] });
    expect(asked).toEqual(["ns-13"]);
  });

  it("smoke-tests through the version's preview URL, else names <name>-<env> in the override", async () => {
    const s = api.addScript("shop-api-staging");
    const v = api.seedVersion("shop-api-staging").id;
    const staging = platform({ env: "staging" });
    expect(await staging.smokeTarget("shop-api", v)).toEqual({
      baseUrl: "https://shop-api-staging.acme.workers.dev",
      overrideName: "shop-api-staging",
      preview: false,
    });
    s.previewsEnabled = true;
    const p = api.seedVersion("shop-api-staging").id;
    expect(await staging.smokeTarget("shop-api", p)).toEqual({
      baseUrl: `https://${p.slice(0, 8)}-shop-api-staging.acme.workers.dev`,
      preview: true,
    });
  });

  it("says plainly that a Workers for Platforms user Worker is not supported", async () => {
    api.state.dispatchNamespaces.set("tenants", new Set(["tenant-a"]));
    await expect(platform().rollback("tenant-a")).rejects.toThrow(/dispatch namespace "tenants".*not supported/);
  });

  it("counts each Analytics Engine row once across back-to-back polls, rows that arrive late included", async () => {
    // Rows for one version, one per second over 3 minutes, each readable 30 s after its timestamp.
    const t0 = Math.floor(clock.now() / 1000);
    const rows = Array.from({ length: 180 }, (_, i) => ({ ts: t0 + i, readable: (t0 + i + 30) * 1000 }));
    let now = 0;
    api.state.analyticsEngineSql = (q) => {
      const lo = Number(/timestamp >= toDateTime\((\d+)\)/.exec(q)?.[1]);
      const hi = Number(/timestamp < toDateTime\((\d+)\)/.exec(q)?.[1]);
      const n = rows.filter((r) => r.ts >= lo && r.ts < hi && r.readable <= now).length;
      return analyticsAnswer(q, n ? [{ version_id: "v-only", status_class: "2xx", bucket_ms: 25, rows: n, n }] : []);
    };
    api.state.graphql = () => ({ data: { viewer: { accounts: [] } }, errors: null });
    api.state.scripts.delete("lagged");
    api.addScript("lagged");
    const s = api.state.scripts.get("lagged");
    s?.deployments.push({
      id: "d",
      source: "api",
      strategy: "percentage",
      author_email: "a@example.com",
      created_on: new Date().toISOString(),
      annotations: {},
      versions: [{ version_id: "v-only", percentage: 100 }],
    });
    const cf = platform();
    const lag = (await cf.metricsIngestion()).lagSeconds;
    let total = 0;
    // The data-time contract: the release reads [lastRead, now − lag) and the platform answers exactly that window
    // (never shifted), so each 60 s window is asked the lag after its end, when its late rows have arrived.
    for (let k = 1; k <= 3; k++) {
      const until = t0 + 60 * k;
      now = (until + lag) * 1000;
      const [m] = await cf.metrics({
        worker: "lagged",
        since: new Date((until - 60) * 1000),
        until: new Date(until * 1000),
      });
      total += m?.requests ?? 0;
    }
    // The three windows cover [t0, t0+180) exactly: every row once (a window shifted by the lag would count 120).
    expect(total).toBe(180);
  });

  it("reads the deployed Durable Object migration tag, so plan can list pending DO migrations", async () => {
    const script = api.state.scripts.get("shop-api");
    if (script) script.migrationTag = "v1";
    expect(await platform().durableObjectMigrationTag("shop-api")).toBe("v1");
    // In an environment, the tag of `<name>-<env>`, which has applied none.
    expect(await platform({ env: "staging" }).durableObjectMigrationTag("shop-api")).toBeUndefined();
  });

  it("sent and received only what Cloudflare's schema allows", () => {
    expect(api.unknown).toEqual([]);
    expect(api.violations).toEqual([]);
  });
});
