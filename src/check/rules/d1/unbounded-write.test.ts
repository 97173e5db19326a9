import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase } from "../../d1/testing.js";

describe("d1/unbounded-write", () => {
  it("flags DELETE (error) and UPDATE (warning) without WHERE", async () => {
    const r = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002.sql": "DELETE FROM order_items;\nUPDATE orders SET status = 'x';",
    });
    const found = r.findings.filter((f) => f.rule === "d1/unbounded-write").map((f) => [f.line, f.severity]);
    expect(found).toEqual([
      [1, "error"],
      [2, "warning"],
    ]);
  });
  it("does not flag a WHERE, a WHERE-less subquery, or a table created in the file", async () => {
    expect(await hitsAfterBase("d1/unbounded-write", "DELETE FROM order_items WHERE sku IS NULL;")).toEqual([]);
    expect(
      await hitsAfterBase(
        "d1/unbounded-write",
        "UPDATE orders SET status = 'x' WHERE id IN (SELECT order_id FROM order_items);",
      ),
    ).toEqual([]);
    expect(await hitsAfterBase("d1/unbounded-write", "CREATE TABLE t (a);\nDELETE FROM t;")).toEqual([]);
  });
});
