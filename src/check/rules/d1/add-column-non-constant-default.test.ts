import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

const RULE = "d1/add-column-non-constant-default";

describe(RULE, () => {
  it("flags a column added to an existing table with CURRENT_TIMESTAMP or an expression as its default", async () => {
    for (const dflt of ["CURRENT_TIMESTAMP", "(datetime('now'))", "(unixepoch() * 1000)", "CURRENT_DATE"])
      expect(await hitsAfterBase(RULE, `ALTER TABLE orders ADD COLUMN created_at TEXT DEFAULT ${dflt};`), dflt).toEqual(
        [`${RULE}@0002_change.sql:1`],
      );
  });
  it("does not flag a constant default, no default, a table created or emptied in the same file, or a rebuild", async () => {
    for (const sql of [
      "ALTER TABLE orders ADD COLUMN state TEXT DEFAULT 'new';",
      "ALTER TABLE orders ADD COLUMN weight REAL DEFAULT -1.5;",
      "ALTER TABLE orders ADD COLUMN note TEXT;",
      "CREATE TABLE audit (id INTEGER PRIMARY KEY);\nALTER TABLE audit ADD COLUMN at TEXT DEFAULT CURRENT_TIMESTAMP;",
      "DELETE FROM order_items;\nALTER TABLE order_items ADD COLUMN at TEXT DEFAULT CURRENT_TIMESTAMP;",
      `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, at TEXT DEFAULT CURRENT_TIMESTAMP);
INSERT INTO orders_new (id, status, total) SELECT id, status, total FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`,
    ])
      expect(await hitsAfterBase(RULE, sql), sql).toEqual([]);
  });
});
