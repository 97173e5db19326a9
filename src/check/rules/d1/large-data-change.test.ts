import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase } from "../../d1/testing.js";

const rows = (n: number) =>
  `INSERT INTO orders (id, status) SELECT value, 'paid' FROM (WITH RECURSIVE c(value) AS (SELECT 1 UNION ALL SELECT value + 1 FROM c WHERE value < ${n}) SELECT value FROM c);`;
const dump = (
  n: number,
) => `CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);
INSERT INTO d1_migrations (name) VALUES ('0001_base.sql');
${BASE_MIGRATION}
${rows(n)}`;
const BACKFILL =
  "ALTER TABLE orders ADD COLUMN state TEXT;\nUPDATE orders SET state = status WHERE status IS NOT NULL;";

describe("d1/large-data-change", () => {
  it("flags a backfill inside a schema migration when its size is unknown", async () => {
    expect(await hitsAfterBase("d1/large-data-change", BACKFILL)).toEqual(["d1/large-data-change@0002_change.sql:2"]);
  });
  it("with --data, flags it only when it changes ≥ 1000 rows, and says how many", async () => {
    const big = await checkMigrations(
      { "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": BACKFILL, "prod.sql": dump(2500) },
      "prod.sql",
    );
    const f = big.findings.find((x) => x.rule === "d1/large-data-change");
    expect(f?.message).toContain("changes 2500 rows");
    const small = await checkMigrations(
      { "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": BACKFILL, "prod.sql": dump(10) },
      "prod.sql",
    );
    expect(small.findings.filter((x) => x.rule === "d1/large-data-change")).toEqual([]);
  });
  it("does not flag a data-only migration or a rebuild's copy", async () => {
    expect(await hitsAfterBase("d1/large-data-change", "UPDATE orders SET status = 'x' WHERE status IS NULL;")).toEqual(
      [],
    );
    const rebuild = `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, note TEXT);
INSERT INTO orders_new (id, status, total) SELECT id, status, total FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`;
    expect(await hitsAfterBase("d1/large-data-change", rebuild)).toEqual([]);
  });
});
