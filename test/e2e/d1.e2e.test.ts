import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliJson, placeOrder, REPO, type ShopEdge, startShopEdge, upload } from "./helpers.js";

/** The example's own migrations, in apply order (the bad one the test adds sorts after them). */
function shopMigrations(): string[] {
  return readdirSync(join(REPO, "examples", "shop", "migrations"))
    .filter((f) => f.endsWith(".sql"))
    .sort();
}

interface Snapshot {
  schema: { type: string; name: string; sql: string }[];
  inserts: string[];
}

function snapshotFile(shop: ShopEdge, bookmark: string): Snapshot {
  const state = JSON.parse(readFileSync(join(shop.dir, ".blastwall", "local", "state.json"), "utf8")) as {
    restorePoints: { bookmark: string; file: string }[];
  };
  const point = state.restorePoints.find((p) => p.bookmark === bookmark);
  if (!point) throw new Error(`no restore point ${bookmark}`);
  return JSON.parse(readFileSync(point.file, "utf8")) as Snapshot;
}

describe("local edge: D1 migrations and restore points", () => {
  let shop: ShopEdge;
  const orders: string[] = [];

  beforeAll(async () => {
    shop = await startShopEdge("d1");
    const first = await cliJson<{ applied: { name: string; restorePoint: string }[] }>(shop.dir, [
      "d1",
      "migrations",
      "apply",
    ]);
    expect(first.applied.map((a) => a.name)).toEqual(shopMigrations());
    const api = await upload(shop, "shop-api", "v1");
    await cliJson(shop.dir, ["versions", "deploy", `${api.id}@100`]);
    for (let i = 0; i < 3; i++) orders.push(await placeOrder(shop, `d1-user-${i}`));
  });

  afterAll(async () => {
    await shop?.teardown();
  });

  it("records migrations in wrangler's d1_migrations table", async () => {
    const list = await shop.platform.listMigrations("shop-api", "shop");
    expect(list.map((m) => [m.name, m.applied])).toEqual(shopMigrations().map((name) => [name, true]));
    expect(list[0]?.appliedAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });

  it("restores the schema and rows from before a bad migration, and only once writes are off", async () => {
    writeFileSync(
      join(shop.dir, "migrations", "0900_bad_cleanup.sql"),
      "ALTER TABLE orders ADD COLUMN note TEXT;\nUPDATE orders SET note = 'x';\nDELETE FROM order_items;\nDROP INDEX idx_orders_user;\n",
    );
    const applied = await cliJson<{ applied: { name: string; restorePoint: string }[] }>(shop.dir, [
      "d1",
      "migrations",
      "apply",
    ]);
    const [bad] = applied.applied;
    expect(bad?.name).toBe("0900_bad_cleanup.sql");
    const broken = (await (await fetch(shop.url(`/orders/${orders[0]}`))).json()) as {
      order: Record<string, unknown>;
      items: unknown[];
    };
    expect(broken.items).toEqual([]);
    expect(broken.order.note).toBe("x");

    const refused = await cli(shop.dir, ["d1", "restore", "shop", "--before", "0900_bad_cleanup.sql"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("disable_writes");

    expect((await cli(shop.dir, ["flags", "set", "disable_writes", "on"])).code).toBe(0);
    const restored = await cli(shop.dir, ["d1", "restore", "shop", "--before", "0900_bad_cleanup.sql"]);
    expect(restored.code, restored.stderr).toBe(0);

    for (const id of orders) {
      const body = (await (await fetch(shop.url(`/orders/${id}`))).json()) as {
        order: Record<string, unknown>;
        items: unknown[];
      };
      expect(body.items).toHaveLength(1);
      expect(body.order).not.toHaveProperty("note");
    }
    const migrations = await shop.platform.listMigrations("shop-api", "shop");
    expect(migrations.find((m) => m.name === "0900_bad_cleanup.sql")?.applied).toBe(false);

    // Same schema and same rows, object for object and row for row.
    const after = await shop.platform.createRestorePoint("shop-api", "shop");
    const then = snapshotFile(shop, bad?.restorePoint ?? "");
    const now = snapshotFile(shop, after.bookmark);
    const sortSchema = (s: Snapshot) => [...s.schema].sort((a, b) => a.name.localeCompare(b.name));
    expect(sortSchema(now)).toEqual(sortSchema(then));
    expect([...now.inserts].sort()).toEqual([...then.inserts].sort());
    expect(then.inserts.filter((s) => s.startsWith('INSERT INTO "order_items"'))).toHaveLength(3);
  });

  it("lists restore points, newest first, with the migration each preceded", async () => {
    const { restorePoints } = await cliJson<{ restorePoints: { bookmark: string; beforeMigration?: string }[] }>(
      shop.dir,
      ["d1", "restore-points"],
    );
    expect(restorePoints.map((p) => p.beforeMigration ?? null)).toEqual([
      null,
      "0900_bad_cleanup.sql",
      ...shopMigrations().reverse(),
    ]);
    expect(restorePoints[0]?.bookmark).toMatch(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/);
  });

  it("sets and lists ops flags (the blastwall/ops route when the Worker serves it, else the KV mirror)", async () => {
    const set = await cliJson<{ name: string; value: string }>(shop.dir, [
      "flags",
      "set",
      "maintenance",
      "on",
      "--actor",
      "e2e",
    ]);
    expect(set).toMatchObject({ name: "maintenance", value: "1" });
    const { flags } = await cliJson<{ flags: { name: string; value: string; actor?: string }[] }>(shop.dir, [
      "flags",
      "list",
    ]);
    expect(flags).toContainEqual(expect.objectContaining({ name: "maintenance", value: "1", actor: "e2e" }));
    expect((await cli(shop.dir, ["flags", "set", "maintenance", "maybe"])).code).toBe(2);
  });

  it("goes through the Worker's /__blastwall/ops/flags route with the edge's admin token", async () => {
    // examples/shop mounts blastwall/ops: the route exists and refuses a request without the admin token.
    const probe = await fetch(shop.url("/__blastwall/ops/flags"));
    expect([401, 403]).toContain(probe.status);
    await cliJson(shop.dir, ["flags", "set", "checkout_v2", "off", "--actor", "e2e-route"]);
    const { flags } = await cliJson<{ flags: { name: string; value: string; actor?: string }[] }>(shop.dir, [
      "flags",
      "list",
    ]);
    expect(flags).toContainEqual(expect.objectContaining({ name: "checkout_v2", value: "0", actor: "e2e-route" }));
  });
});
