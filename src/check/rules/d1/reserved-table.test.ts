import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

describe("d1/reserved-table", () => {
  it("flags statements on d1_migrations, sqlite_* and _cf_* tables", async () => {
    expect(await hitsAfterBase("d1/reserved-table", "INSERT INTO d1_migrations (name) VALUES ('0003_x.sql');")).toEqual(
      ["d1/reserved-table@0002_change.sql:1"],
    );
    expect(await hitsAfterBase("d1/reserved-table", "DROP TABLE sqlite_stat1;")).toEqual([
      "d1/reserved-table@0002_change.sql:1",
    ]);
    expect(await hitsAfterBase("d1/reserved-table", "CREATE TABLE _cf_things (a);")).toEqual([
      "d1/reserved-table@0002_change.sql:1",
    ]);
  });
  it("does not flag a plain SELECT from sqlite_master or d1_migrations, but still flags _cf_* reads", async () => {
    expect(
      await hitsAfterBase(
        "d1/reserved-table",
        "SELECT name FROM sqlite_master WHERE type='table' AND name = 'orders';",
      ),
    ).toEqual([]);
    expect(await hitsAfterBase("d1/reserved-table", "SELECT name FROM d1_migrations;")).toEqual([]);
    expect(await hitsAfterBase("d1/reserved-table", "SELECT * FROM _cf_KV;")).toEqual([
      "d1/reserved-table@0002_change.sql:1",
    ]);
  });
  it("does not flag writes to sqlite_sequence rows, which SQLite and D1 allow (AUTOINCREMENT counters)", async () => {
    for (const sql of [
      "DELETE FROM sqlite_sequence WHERE name IN (SELECT name FROM sqlite_master);",
      "UPDATE sqlite_sequence SET seq = 100 WHERE name = 'orders';",
      "INSERT INTO sqlite_sequence (name, seq) VALUES ('orders', 5);",
    ])
      expect(await hitsAfterBase("d1/reserved-table", sql), sql).toEqual([]);
  });
  it("does not flag sqlite_ functions or ordinary tables", async () => {
    expect(
      await hitsAfterBase("d1/reserved-table", "INSERT INTO order_items (sku) SELECT sqlite_version() WHERE 0;"),
    ).toEqual([]);
    expect(await hitsAfterBase("d1/reserved-table", "CREATE TABLE migrations_log (a);")).toEqual([]);
  });
});
