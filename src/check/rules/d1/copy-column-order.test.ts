import { describe, expect, it } from "vitest";
import { hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

const RULE = "d1/copy-column-order";
const REORDERED = "id INTEGER PRIMARY KEY, total INTEGER NOT NULL DEFAULT 0, status TEXT";

describe(RULE, () => {
  it("flags a SELECT * copy into a table whose columns are in another order", async () => {
    expect(await hitsAfterBase(RULE, rebuildOrders(REORDERED))).toEqual([`${RULE}@0002_change.sql:2`]);
    expect(
      await hitsAfterBase(RULE, rebuildOrders(REORDERED, "o.*").replace("FROM orders;", "FROM orders o;")),
    ).toEqual([`${RULE}@0002_change.sql:2`]);
    const throughBackup = `CREATE TABLE orders_backup AS SELECT * FROM orders;
DROP TABLE orders;
CREATE TABLE orders (${REORDERED});
INSERT INTO orders SELECT * FROM orders_backup;
DROP TABLE orders_backup;`;
    expect(await hitsAfterBase(RULE, throughBackup)).toEqual([`${RULE}@0002_change.sql:4`]);
    const listed = `CREATE TABLE orders_new (${REORDERED});
INSERT INTO orders_new (id, total, status) SELECT * FROM orders;`;
    expect(await hitsAfterBase(RULE, listed)).toEqual([`${RULE}@0002_change.sql:2`]);
  });

  it("names the misplaced columns and the fix lists them by name", async () => {
    const { checkMigrations } = await import("../../d1/testing.js");
    const { BASE_MIGRATION } = await import("../../d1/testing.js");
    const result = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql": rebuildOrders(REORDERED),
    });
    const f = result.findings.find((x) => x.rule === RULE);
    expect(f?.message).toContain("orders.status lands in orders_new.total");
    expect(f?.fix).toContain("INSERT INTO orders_new (id, total, status) SELECT id, total, status FROM orders;");
  });

  it("does not flag a copy in the same order, a renamed column in place, named columns, or an empty source", async () => {
    for (const sql of [
      rebuildOrders("id INTEGER PRIMARY KEY, status TEXT NOT NULL DEFAULT 'new', total INTEGER NOT NULL DEFAULT 0"),
      rebuildOrders("id INTEGER PRIMARY KEY, state TEXT, total INTEGER NOT NULL DEFAULT 0"),
      rebuildOrders(REORDERED, "id, total, status"),
      `CREATE TABLE orders_new (${REORDERED});
INSERT INTO orders_new (id, status, total) SELECT * FROM orders;`,
      `CREATE TABLE staged (total INTEGER, id INTEGER, status TEXT);
INSERT INTO orders SELECT * FROM staged;`,
    ])
      expect(await hitsAfterBase(RULE, sql), sql).toEqual([]);
  });
});
