import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase } from "../../d1/testing.js";

describe("d1/mixed-expand-contract", () => {
  it("flags a file that adds and drops, at the first contract change", async () => {
    const sql = "ALTER TABLE orders ADD COLUMN state TEXT;\nALTER TABLE orders DROP COLUMN status;";
    expect(await hitsAfterBase("d1/mixed-expand-contract", sql)).toEqual([
      "d1/mixed-expand-contract@0002_change.sql:2",
    ]);
    const r = await checkMigrations({ "migrations/0001.sql": BASE_MIGRATION, "migrations/0002.sql": sql });
    expect(r.migrations.map((m) => m.class)).toEqual(["expand", "mixed"]);
  });
  it("does not flag pure expand or pure contract files", async () => {
    const fkColumn =
      "CREATE TABLE customers (id INTEGER PRIMARY KEY);\nALTER TABLE orders ADD COLUMN customer_id INTEGER REFERENCES customers (id);";
    expect(await hitsAfterBase("d1/mixed-expand-contract", fkColumn)).toEqual([]);
    expect(
      await hitsAfterBase(
        "d1/mixed-expand-contract",
        "ALTER TABLE orders ADD COLUMN a TEXT;\nCREATE INDEX ix ON orders (a);",
      ),
    ).toEqual([]);
    expect(
      await hitsAfterBase(
        "d1/mixed-expand-contract",
        "ALTER TABLE orders DROP COLUMN status;\nDROP TABLE order_items;",
      ),
    ).toEqual([]);
  });
});
