import { describe, expect, it } from "vitest";
import { hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

describe("d1/add-unique", () => {
  it("flags a unique index on an existing table", async () => {
    expect(await hitsAfterBase("d1/add-unique", "CREATE UNIQUE INDEX ux_items_sku ON order_items (sku);")).toEqual([
      "d1/add-unique@0002_change.sql:1",
    ]);
  });
  it("flags a UNIQUE constraint added by a rebuild", async () => {
    const sql = rebuildOrders("id INTEGER PRIMARY KEY, status TEXT UNIQUE, total INTEGER NOT NULL DEFAULT 0");
    expect(await hitsAfterBase("d1/add-unique", sql)).toEqual(["d1/add-unique@0002_change.sql:1"]);
  });
  it("does not flag plain indexes or unique indexes on new tables", async () => {
    expect(await hitsAfterBase("d1/add-unique", "CREATE INDEX ix_sku ON order_items (sku);")).toEqual([]);
    expect(await hitsAfterBase("d1/add-unique", "CREATE TABLE t (a);\nCREATE UNIQUE INDEX ux_a ON t (a);")).toEqual([]);
  });
  it("does not flag a unique index on a column added in the same file without a default (every row is NULL)", async () => {
    const sql = "ALTER TABLE orders ADD COLUMN ref TEXT;\nCREATE UNIQUE INDEX orders_ref ON orders (ref);";
    expect(await hitsAfterBase("d1/add-unique", sql)).toEqual([]);
    const withDefault =
      "ALTER TABLE orders ADD COLUMN ref TEXT DEFAULT 'x';\nCREATE UNIQUE INDEX orders_ref ON orders (ref);";
    expect(await hitsAfterBase("d1/add-unique", withDefault)).toEqual(["d1/add-unique@0002_change.sql:2"]);
  });
});
