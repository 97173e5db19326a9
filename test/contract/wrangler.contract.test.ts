import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { versionAtLeast } from "../../src/core/migration-order.js";
import { WranglerError } from "../../src/platform/cloudflare/index.js";
import { PreflightError } from "../../src/platform/cloudflare/preflight/index.js";
import { type ContractServer, startCloudflareApiServer } from "./cloudflare-api-server.js";
import {
  ADMIN,
  D1_ID,
  GUARD,
  harnessPlatform,
  outputViolations,
  TOKEN,
  WRANGLER_BIN,
  writeProject,
} from "./harness.js";

/** The wrangler under test: BLASTWALL_TEST_WRANGLER_BIN's, else the repo's own. */
const WRANGLER_VERSION = (
  JSON.parse(
    readFileSync(
      WRANGLER_BIN
        ? join(dirname(WRANGLER_BIN), "..", "package.json")
        : new URL("../../node_modules/wrangler/package.json", import.meta.url),
      "utf8",
    ),
  ) as { version: string }
).version;

/**
 * Contract tests: the real wrangler 4.86, driven by blastwall's Cloudflare platform, pointed through
 * CLOUDFLARE_API_BASE_URL at a loopback server that answers the documented API shapes. A preloaded guard
 * refuses (and logs) any connection that is not loopback.
 */

let api: ContractServer;
let project: string;
let guardLog: string;

function platform(extra: Record<string, string> = {}, env?: string) {
  return harnessPlatform({ api, projectDir: project, extraEnv: extra, guardLog, ...(env ? { env } : {}) });
}

beforeAll(async () => {
  api = await startCloudflareApiServer({ opsAdminToken: ADMIN });
  project = mkdtempSync(join(tmpdir(), "blastwall-contract-"));
  guardLog = join(project, "guard.log");
  writeFileSync(guardLog, "");
  writeProject(project, { triggers: { crons: ["*/5 * * * *"] } });
  api.addScript("shop-api", { migrationTag: "v1" });
  api.addScript("shop-consumer");
  api.addQueue("order-events");
  api.addQueue("order-events-dlq");
  api.addD1("shop", D1_ID);
});

afterAll(async () => {
  await api?.close();
  if (project) rmSync(project, { recursive: true, force: true });
});

// Each step runs wrangler (a Node process that bundles with esbuild) one to four times; a loaded CI box is slow.
describe("Cloudflare platform contract test (real wrangler → loopback API)", { timeout: 180_000 }, () => {
  let v1 = "";
  let v2 = "";

  it("uploads versions with tag and message, read back from wrangler's output file", async () => {
    const cf = platform();
    const first = await cf.uploadVersion({
      worker: "shop-api",
      configPath: join(project, "api", "wrangler.jsonc"),
      tag: "v1",
      message: "first",
    });
    const second = await cf.uploadVersion({
      worker: "shop-api",
      configPath: join(project, "api", "wrangler.jsonc"),
      tag: "v2",
      message: "second",
      vars: { SHIP_BAD_BUILD: "1" },
    });
    v1 = first.id;
    v2 = second.id;
    expect(first).toMatchObject({ worker: "shop-api", tag: "v1", message: "first" });
    expect(second.tag).toBe("v2");
    expect(second.id).not.toBe(first.id);
    const upload = api.requests.filter(
      (r) => r.method === "POST" && r.path.endsWith("/workers/scripts/shop-api/versions"),
    );
    expect(upload).toHaveLength(2);
    expect(upload[0]?.query.bindings_inherit).toEqual(["strict"]);
    expect(upload[0]?.authorization).toBe(`Bearer ${TOKEN}`);
    const versions = await cf.listVersions("shop-api");
    expect(versions.map((v) => v.id)).toEqual([v2, v1]);
  });

  it("deploys a split with percentages and reads it back", async () => {
    const cf = platform();
    await cf.deploy("shop-api", [{ versionId: v1, percentage: 100 }], { message: "stable" });
    const split = await cf.deploy(
      "shop-api",
      [
        { versionId: v2, percentage: 10 },
        { versionId: v1, percentage: 90 },
      ],
      { message: "canary 10%" },
    );
    expect(split.versions).toEqual([
      { versionId: v2, percentage: 10 },
      { versionId: v1, percentage: 90 },
    ]);
    expect(split.message).toBe("canary 10%");
    const posted = api.requests.filter((r) => r.method === "POST" && r.path.endsWith("/shop-api/deployments")).at(-1);
    expect(JSON.parse(posted?.body ?? "{}")).toMatchObject({
      strategy: "percentage",
      versions: [
        { version_id: v2, percentage: 10 },
        { version_id: v1, percentage: 90 },
      ],
      annotations: { "workers/message": "canary 10%" },
    });
    expect((await cf.currentDeployment("shop-api"))?.id).toBe(split.id);
  });

  it("refuses a split that does not add up to 100 before calling wrangler", async () => {
    const cf = platform();
    const before = api.requests.length;
    await expect(cf.deploy("shop-api", [{ versionId: v2, percentage: 50 }])).rejects.toThrow(/add up to 50%, not 100%/);
    expect(api.requests.length).toBe(before);
  });

  it("lists deployments through `wrangler deployments list --json`, newest first", async () => {
    const list = await platform().listDeployments("shop-api");
    expect(list.map((d) => d.message)).toEqual(["canary 10%", "stable"]);
    expect(list[0]?.kind).toBe("deployment");
  });

  it("rolls back to the last version that served 100%", async () => {
    const d = await platform().rollback("shop-api", { message: "canary 5xx 4.1%" });
    expect(d.kind).toBe("rollback");
    expect(d.versions).toEqual([{ versionId: v1, percentage: 100 }]);
    expect(d.message).toBe("rollback: canary 5xx 4.1%");
    const posted = api.requests.filter((r) => r.method === "POST" && r.path.endsWith("/shop-api/deployments")).at(-1);
    expect(posted?.query.force).toBeUndefined();
  });

  it("pre-flight stops a rollback when secrets changed since the target (10220), which wrangler in CI would force", async () => {
    const cf = platform();
    await cf.deploy("shop-api", [{ versionId: v2, percentage: 100 }], { message: "v2 everywhere" });
    api.seedVersion("shop-api", { "workers/triggered_by": "secret" }, [{ type: "secret_text", name: "STRIPE_KEY" }]);
    const before = api.requests.filter((r) => r.method === "POST" && r.path.endsWith("/deployments")).length;
    const err = await cf.rollback("shop-api", { to: v1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreflightError);
    expect((err as PreflightError).failures.map((f) => [f.check, f.code])).toEqual([["secrets-changed", 10220]]);
    expect(api.requests.filter((r) => r.method === "POST" && r.path.endsWith("/deployments")).length).toBe(before);
    // With the operator's say-so it goes through; wrangler itself retries the API's 10220 with force=true.
    const forced = await cf.rollback("shop-api", { to: v1, allowChangedSecrets: true, message: "secrets verified" });
    expect(forced.versions).toEqual([{ versionId: v1, percentage: 100 }]);
    const attempts = api.requests.filter((r) => r.method === "POST" && r.path.endsWith("/deployments")).slice(before);
    expect(attempts.map((r) => r.query.force?.[0] ?? "no")).toEqual(["no", "true"]);
  });

  it("pre-flight refuses an upload that carries a pending Durable Object migration (10211)", async () => {
    api.addScript("cart-service", { migrationTag: "v1" });
    const dir = join(project, "cart");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "index.js"),
      "export class Cart {} export class Wishlist {} export default { fetch() { return new Response('') } };\n",
    );
    writeFileSync(
      join(dir, "wrangler.json"),
      JSON.stringify({
        name: "cart-service",
        main: "index.js",
        compatibility_date: "2026-04-01",
        migrations: [
          { tag: "v1", new_sqlite_classes: ["Cart"] },
          { tag: "v2", new_sqlite_classes: ["Wishlist"] },
        ],
      }),
    );
    const before = api.requests.length;
    const err = await platform()
      .uploadVersion({ worker: "cart-service", configPath: join(dir, "wrangler.json") })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreflightError);
    expect((err as Error).message).toContain("v2");
    expect((err as PreflightError).failures[0]?.fix).toContain(
      "ship it with `wrangler deploy`, in a release of its own",
    );
    expect(api.requests.slice(before).some((r) => r.path.endsWith("/versions") && r.method === "POST")).toBe(false);
  });

  it("applies D1 migrations with `d1 migrations apply --remote`, stopping at --up-to", async () => {
    const cf = platform();
    expect((await cf.listMigrations("shop-api", "shop")).map((m) => m.applied)).toEqual([false, false, false]);
    expect(await cf.applyMigrations("shop-api", "shop", { upTo: "0002_add_status.sql" })).toEqual([
      "0001_create_orders.sql",
      "0002_add_status.sql",
    ]);
    const state = await cf.listMigrations("shop-api", "shop");
    expect(state.map((m) => [m.name, m.applied])).toEqual([
      ["0001_create_orders.sql", true],
      ["0002_add_status.sql", true],
      ["0003_create_items.sql", false],
    ]);
    const cols = api.state.d1.get(D1_ID)?.db.prepare("SELECT name FROM pragma_table_info('orders')").all();
    expect(cols).toEqual([{ name: "id" }, { name: "total" }, { name: "status" }]);
  });

  it("lists migrations_pattern nested migrations by wrangler's names; applies them on wrangler 4.98+, refuses below", async () => {
    const nested = mkdtempSync(join(tmpdir(), "blastwall-contract-pattern-"));
    try {
      const db = { binding: "DB", database_name: "shop", database_id: D1_ID, migrations_dir: "../migrations" };
      writeProject(nested, { d1_databases: [{ ...db, migrations_pattern: "../migrations/*/migration.sql" }] });
      for (const folder of ["10_c", "2_b"]) {
        mkdirSync(join(nested, "migrations", folder));
        writeFileSync(join(nested, "migrations", folder, "migration.sql"), "SELECT 1;");
      }
      writeFileSync(join(nested, "migrations", "0001_top.sql"), "SELECT 1;");
      const cf = harnessPlatform({ api, projectDir: nested, guardLog });
      const names = (await cf.listMigrations("shop-api", "shop")).map((m) => m.name);
      expect(names.filter((n) => n.includes("/"))).toEqual(["2_b/migration.sql", "10_c/migration.sql"]);
      expect(names).not.toContain("0001_top.sql");
      if (versionAtLeast(WRANGLER_VERSION, "4.98.0")) {
        // wrangler 4.98+ reads the pattern: the nested files apply under the same names, then leave the shared fake.
        expect(await cf.applyMigrations("shop-api", "shop")).toEqual(["2_b/migration.sql", "10_c/migration.sql"]);
        api.state.d1.get(D1_ID)?.db.exec("DELETE FROM d1_migrations WHERE name LIKE '%/migration.sql'");
        return;
      }
      const before = api.requests.length;
      const refused = cf.applyMigrations("shop-api", "shop");
      await expect(refused).rejects.toThrow(/migrations_pattern, which wrangler 4\.\d+\.\d+ ignores/);
      await expect(refused).rejects.toMatchObject({
        location: { file: join(nested, "api", "wrangler.jsonc") },
        fix: expect.stringMatching(/upgrade wrangler to 4\.98\+/),
      });
      expect(api.requests.length).toBe(before);
    } finally {
      rmSync(nested, { recursive: true, force: true });
    }
  });

  it("takes a Time Travel bookmark, records it in a deployment message, and restores it", async () => {
    const cf = platform();
    const db = api.state.d1.get(D1_ID);
    db?.db.exec("INSERT INTO orders (id, total, status) VALUES ('o1', 100, 'paid')");
    const rp = await cf.createRestorePoint("shop-api", "shop", "0003_create_items.sql");
    expect(rp.bookmark).toMatch(/^[0-9a-f]+-[0-9a-f]+-[0-9a-f]+-[0-9a-f]+$/);
    const recorded = await cf.listRestorePoints("shop-api", "shop");
    expect(recorded[0]).toMatchObject({
      database: "shop",
      bookmark: rp.bookmark,
      beforeMigration: "0003_create_items.sql",
    });
    // The record changed no traffic: the split in force is the same.
    expect((await cf.currentDeployment("shop-api"))?.versions).toEqual([{ versionId: v1, percentage: 100 }]);
    // And it is never mistaken for a rollback target: the next rollback aims at v2, not at v1 again
    // (and stops in pre-flight, since a secret changed after v2).
    const err = await cf.rollback("shop-api").catch((e: unknown) => e);
    expect((err as Error).message).toContain(`rollback target ${v2}`);

    api.state.d1.get(D1_ID)?.db.exec("DELETE FROM orders");
    await cf.restore("shop-api", "shop", rp.bookmark);
    expect(api.state.d1.get(D1_ID)?.db.prepare("SELECT id FROM orders").all()).toEqual([{ id: "o1" }]);
    expect(api.requests.some((r) => r.path.endsWith("/time_travel/bookmark"))).toBe(true);
    const restore = api.requests.find((r) => r.path.endsWith("/time_travel/restore"));
    expect(restore?.query.bookmark).toEqual([rp.bookmark]);
  });

  it("pauses and resumes queue delivery", async () => {
    const cf = platform();
    const paused = await cf.pauseQueue("order-events");
    expect(paused).toMatchObject({ queue: "order-events", paused: true, deadLetterQueue: "order-events-dlq" });
    const patch = api.requests.filter((r) => r.method === "PATCH" && r.path.includes("/queues/")).at(-1);
    expect(JSON.parse(patch?.body ?? "{}")).toEqual({
      queue_name: "order-events",
      settings: { delivery_paused: true },
    });
    expect((await cf.resumeQueue("order-events")).paused).toBe(false);
  });

  it("sets and lists flags through the Worker's ops admin API", async () => {
    const cf = platform();
    const set = await cf.setFlag("disable_writes", "1", "oncall:alice");
    expect(set).toMatchObject({ name: "disable_writes", value: "1", actor: "oncall:alice" });
    expect((await cf.listFlags()).map((f) => [f.name, f.value])).toEqual([["disable_writes", "1"]]);
    const put = api.requests.find((r) => r.method === "PUT" && r.path === "/__blastwall/ops/flags/disable_writes");
    expect(put?.authorization).toBe(`Bearer ${ADMIN}`);
    expect(JSON.parse(put?.body ?? "{}")).toEqual({ value: "1", actor: "oncall:alice" });
  });

  it("never prints the token, even when the API rejects it", async () => {
    const cf = platform({ CLOUDFLARE_ACCOUNT_ID: "ffffffffffffffffffffffffffffffff" });
    const err = await cf
      .uploadVersion({ worker: "shop-api", configPath: join(project, "api", "wrangler.jsonc") })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(String((err as Error).message)).not.toContain(TOKEN);
    const badAdmin = platform({ BLASTWALL_ADMIN_TOKEN: "wrong-admin-token-123456" });
    const e2 = await badAdmin.listFlags().catch((e: unknown) => e);
    expect((e2 as Error).message).toMatch(/401/);
    expect((e2 as Error).message).not.toContain("wrong-admin-token-123456");
  });

  it("supports wrangler environments: --env staging releases shop-api-staging", async () => {
    api.addScript("shop-api-staging", { migrationTag: "v1" });
    const cf = platform();
    const v = await cf.uploadVersion({
      worker: "shop-api",
      configPath: join(project, "api", "wrangler.jsonc"),
      env: "staging",
      tag: "staging-1",
    });
    expect(api.state.scripts.get("shop-api-staging")?.versions.map((x) => x.id)).toEqual([v.id]);
    const d = await cf.deploy("shop-api", [{ versionId: v.id, percentage: 100 }], {
      env: "staging",
      message: "staging",
    });
    expect(d.versions).toEqual([{ versionId: v.id, percentage: 100 }]);
    // Promotion applies the triggers (crons, routes, domains), which are not part of a version.
    expect(api.state.scripts.get("shop-api-staging")?.crons).toEqual(["*/5 * * * *"]);
    expect((await cf.listDeployments("shop-api", "staging")).map((x) => x.message)).toEqual(["staging"]);
    // Production is untouched.
    expect((await cf.currentDeployment("shop-api"))?.versions).toEqual([{ versionId: v1, percentage: 100 }]);
    // wrangler does not inherit d1_databases into an environment: the staging entry names its own folder.
    const staging = platform({}, "staging");
    expect((await staging.listMigrations("shop-api", "shop")).map((m) => m.name)).toEqual([
      "0001_create_orders.sql",
      "0002_add_status.sql",
      "0003_create_items.sql",
    ]);
    expect((await staging.currentDeployment("shop-api"))?.id).toBe(d.id);
  });

  it("reports a wrangler failure with the API's error code, and the resource it could not find", async () => {
    const cf = platform();
    const missing = "00000000-0000-4000-8000-000000000000";
    const err = await cf.deploy("shop-api", [{ versionId: missing, percentage: 100 }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WranglerError);
    expect((err as WranglerError).code).toBe(10210);
    // The API's own reason, from the note wrangler prints under its generic first line, is kept.
    expect((err as WranglerError).message).toMatch(/failed\..*version not found \[code: 10210\]/);
    const q = await cf.pauseQueue("no-such-queue").catch((e: unknown) => e);
    expect((q as Error).message).toContain('Queue "no-such-queue" does not exist');
  });

  it("answered every call wrangler made, and wrangler made no call outside loopback", () => {
    expect(api.unknown).toEqual([]);
    expect(api.violations).toEqual([]);
    expect(outputViolations).toEqual([]);
    expect(readFileSync(guardLog, "utf8")).toBe("");
    expect(api.requests.every((r) => !r.path.startsWith("/client/v4") || r.authorization === `Bearer ${TOKEN}`)).toBe(
      true,
    );
  });
});

describe("loopback guard (used by the contract tests)", () => {
  it("blocks and logs a connection to a non-loopback host", async () => {
    const { execFileSync } = await import("node:child_process");
    const log = join(project, "guard-self-test.log");
    writeFileSync(log, "");
    const script =
      "const s = require('node:net').connect(443, '192.0.2.1'); s.on('error', (e) => { console.log(e.message); });";
    const out = execFileSync(process.execPath, ["--require", GUARD, "-e", script], {
      env: { ...process.env, BLASTWALL_NET_GUARD_LOG: log },
      encoding: "utf8",
    });
    expect(out).toContain("loopback guard: blocked connection to 192.0.2.1:443");
    expect(readFileSync(log, "utf8")).toBe("192.0.2.1:443\n");
  });
});
