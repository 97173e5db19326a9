import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, exportDump } from "../../d1/testing.js";

const dump = (rows: string) => exportDump(BASE_MIGRATION, rows);

async function onData(sql: string, rows: string) {
  const r = await checkMigrations(
    { "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": sql, "prod.sql": dump(rows) },
    "prod.sql",
  );
  return r.findings.filter((f) => f.rule === "d1/data-constraint");
}

describe("d1/data-constraint", () => {
  it("reports a UNIQUE index that production duplicates break", async () => {
    const found = await onData(
      "-- blastwall-ignore d1/add-unique: checked\nCREATE UNIQUE INDEX ux_sku ON order_items (sku);",
      "INSERT INTO orders (id) VALUES (1);\nINSERT INTO order_items (order_id, sku) VALUES (1, 'a'), (1, 'a');",
    );
    expect(found.map((f) => f.line)).toEqual([2]);
    expect(found[0]?.message).toContain("UNIQUE constraint failed: order_items.sku");
  });
  it("reports NOT NULL on rows that exist, and CHECK failures", async () => {
    const nn = await onData(
      "ALTER TABLE orders ADD COLUMN customer TEXT NOT NULL;",
      "INSERT INTO orders (id) VALUES (1);",
    );
    expect(nn[0]?.message).toContain("NOT NULL");
    const check = await onData(
      "UPDATE orders SET total = -1 WHERE id = 1;\nCREATE TABLE t (x INTEGER CHECK (x > 0));\nINSERT INTO t SELECT total FROM orders;",
      "INSERT INTO orders (id) VALUES (1);",
    );
    expect(check[0]?.message).toContain("CHECK constraint failed");
  });
  it("reports rows left pointing at missing parents (foreign_key_check)", async () => {
    const found = await onData(
      "PRAGMA defer_foreign_keys = on;\nDELETE FROM orders WHERE id = 1 AND 0;\nINSERT INTO order_items (order_id, sku) VALUES (99, 'ghost');",
      "INSERT INTO orders (id) VALUES (1);",
    );
    expect(found.some((f) => f.message.includes("1 row of order_items pointing at missing orders rows"))).toBe(true);
  });
  it("stays quiet when the data satisfies the constraints", async () => {
    expect(
      await onData(
        "-- blastwall-ignore d1/add-unique: checked\nCREATE UNIQUE INDEX ux_sku ON order_items (sku);",
        "INSERT INTO orders (id) VALUES (1);\nINSERT INTO order_items (order_id, sku) VALUES (1, 'a'), (1, 'b');",
      ),
    ).toEqual([]);
  });
});
