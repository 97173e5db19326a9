import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations } from "../../d1/testing.js";

const DUMP = `CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);
INSERT INTO d1_migrations (name) VALUES ('0001_base.sql');
${BASE_MIGRATION}
INSERT INTO orders (id, status) VALUES (1, 'cancelled'), (2, 'paid');
INSERT INTO order_items (order_id, sku) VALUES (1, 'a'), (1, 'b'), (2, 'c');`;

async function lost(sql: string) {
  const r = await checkMigrations(
    { "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": sql, "prod.sql": DUMP },
    "prod.sql",
  );
  return r.findings.filter((f) => f.rule === "d1/rows-lost");
}

describe("d1/rows-lost", () => {
  it("reports child rows a DELETE cascades to, with the count and the foreign key", async () => {
    const found = await lost("DELETE FROM orders WHERE status = 'cancelled';");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain(
      "2 rows of order_items deleted by order_items(order_id) → orders(id) ON DELETE CASCADE",
    );
    expect(found[0]?.data?.rowsLost).toBe(2);
  });
  it("catches INSERT OR REPLACE, which deletes the parent row first", async () => {
    const found = await lost("REPLACE INTO orders (id, status) VALUES (2, 'refunded');");
    expect(found[0]?.data?.rowsLost).toBe(1);
  });
  it("does not report deletes that cascade to nothing, or runs without --data", async () => {
    expect(await lost("DELETE FROM orders WHERE status = 'nope';")).toEqual([]);
    const r = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002.sql": "DELETE FROM orders WHERE id = 1;",
    });
    expect(r.findings.filter((f) => f.rule === "d1/rows-lost")).toEqual([]);
  });
});
