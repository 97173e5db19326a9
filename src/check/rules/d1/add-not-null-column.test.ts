import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

describe("d1/add-not-null-column", () => {
  it("flags NOT NULL without a default on an existing table (it replays fine on the empty database)", async () => {
    expect(
      await hitsAfterBase("d1/add-not-null-column", "ALTER TABLE orders ADD COLUMN customer TEXT NOT NULL;"),
    ).toEqual(["d1/add-not-null-column@0002_change.sql:1"]);
    expect(await hitsAfterBase("d1/sql-error", "ALTER TABLE orders ADD COLUMN customer TEXT NOT NULL;")).toEqual([]);
  });
  it("does not flag a default, a nullable column, or a new table", async () => {
    expect(
      await hitsAfterBase("d1/add-not-null-column", "ALTER TABLE orders ADD COLUMN c TEXT NOT NULL DEFAULT '';"),
    ).toEqual([]);
    expect(await hitsAfterBase("d1/add-not-null-column", "ALTER TABLE orders ADD COLUMN c TEXT;")).toEqual([]);
    expect(await hitsAfterBase("d1/add-not-null-column", "CREATE TABLE c (a TEXT NOT NULL);")).toEqual([]);
  });

  it("flags a NOT NULL column without a default gained through a rebuild, in each rebuild shape", async () => {
    const columns = "id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, channel TEXT NOT NULL";
    const copy = "INSERT INTO orders (id, status, total, channel) SELECT id, status, total, 'web' FROM";
    const shapes = [
      `ALTER TABLE orders RENAME TO orders_legacy;\nCREATE TABLE orders (${columns});\n${copy.replace("INTO orders", "INTO orders")} orders_legacy;\nDROP TABLE orders_legacy;`,
      `CREATE TABLE orders_new (${columns});\n${copy.replace("INTO orders", "INTO orders_new")} orders;\nDROP TABLE orders;\nALTER TABLE orders_new RENAME TO orders;`,
      `CREATE TABLE __new_orders (${columns});\n${copy.replace("INTO orders", "INTO __new_orders")} orders;\nDROP TABLE orders;\nALTER TABLE __new_orders RENAME TO orders;`,
    ];
    for (const sql of shapes) expect(await hitsAfterBase("d1/add-not-null-column", sql), sql).toHaveLength(1);
  });
});
