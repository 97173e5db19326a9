import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

describe("d1/rename-table", () => {
  it("flags ALTER TABLE … RENAME TO, with the expand/contract steps in the fix", async () => {
    expect(await hitsAfterBase("d1/rename-table", "ALTER TABLE orders RENAME TO purchases;")).toEqual([
      "d1/rename-table@0002_change.sql:1",
    ]);
    const r = await checkMigrations({
      "migrations/0001.sql": "CREATE TABLE orders (id);",
      "migrations/0002.sql": "ALTER TABLE orders RENAME TO purchases;",
    });
    expect(r.findings.find((f) => f.rule === "d1/rename-table")?.fix).toContain("CREATE TABLE purchases");
  });
  it("does not flag a rebuild's rename or renaming a table created in the same file", async () => {
    const rebuild = rebuildOrders("id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0");
    expect(await hitsAfterBase("d1/rename-table", rebuild)).toEqual([]);
    expect(await hitsAfterBase("d1/rename-table", "CREATE TABLE a (x);\nALTER TABLE a RENAME TO b;")).toEqual([]);
  });

  it("on a swap that keeps the old table, flags the children re-pointed at it, not the rename", async () => {
    const swap = (
      table: string,
    ) => `CREATE TABLE ${table}_new (id INTEGER PRIMARY KEY, status TEXT NOT NULL DEFAULT 'new', total INTEGER NOT NULL DEFAULT 0);
INSERT INTO ${table}_new (id, status, total) SELECT id, coalesce(status, 'new'), total FROM ${table};
ALTER TABLE ${table} RENAME TO ${table}_old;
ALTER TABLE ${table}_new RENAME TO ${table};`;
    const result = await checkMigrations({
      "migrations/0001_base.sql": `${BASE_MIGRATION}\nCREATE TABLE notes (id INTEGER PRIMARY KEY, status TEXT, total INTEGER);`,
      "migrations/0002_orders.sql": swap("orders"),
      "migrations/0003_notes.sql": swap("notes"),
    });
    const found = result.findings.filter((f) => f.rule === "d1/rename-table");
    expect(found.map((f) => `${f.file.split("/").pop()}:${f.line}`)).toEqual(["0002_orders.sql:3"]);
    expect(found[0]?.message).toContain("re-points the foreign keys of order_items at orders_old");
  });
});
