import { describe, expect, it } from "vitest";
import { classifyMigration, classifyMigrationFile, splitStatements } from "./classify-migration.js";

describe("classifyMigration", () => {
  it.each([
    ["CREATE TABLE t (id INTEGER PRIMARY KEY);\nCREATE INDEX i ON t (id);", "expand"],
    ["ALTER TABLE orders ADD COLUMN note TEXT;", "expand"],
    ["CREATE TABLE s (k TEXT);\nINSERT INTO s VALUES ('a');", "expand"],
    ["ALTER TABLE orders DROP COLUMN legacy;", "contract"],
    ["ALTER TABLE orders RENAME COLUMN total TO total_cents;", "contract"],
    ["DROP TABLE IF EXISTS old_orders;", "contract"],
    ["UPDATE orders SET status = 'done' WHERE status = 'complete';", "data"],
    ["DELETE FROM orders WHERE user_id IS NULL;", "data"],
    ["INSERT INTO orders (id) SELECT id FROM legacy;", "data"],
    ["ALTER TABLE orders ADD COLUMN note TEXT;\nUPDATE orders SET note = '';", "mixed"],
    ["PRAGMA defer_foreign_keys = on;", "expand"],
  ])("%s → %s", (sql, cls) => {
    expect(classifyMigration(sql).class).toBe(cls);
  });

  it("is not fooled by keywords in comments and strings", () => {
    const sql = "-- DROP TABLE orders;\n/* DELETE FROM x; */\nINSERT INTO t2 SELECT 'DROP TABLE a; x' ;";
    expect(splitStatements(sql)).toHaveLength(1);
    expect(classifyMigration(`CREATE TABLE t2 (v TEXT);\n${sql}`).class).toBe("expand");
  });

  it("keeps a trigger body in one statement", () => {
    const sql = `CREATE TRIGGER trg AFTER INSERT ON orders BEGIN
  UPDATE stats SET n = n + 1;
  DELETE FROM tmp;
END;
CREATE INDEX i ON orders (id);`;
    const parts = splitStatements(sql);
    expect(parts).toHaveLength(2);
    expect(parts[1]?.line).toBe(5);
    expect(classifyMigration(sql).class).toBe("expand");
  });

  it("reports where the contract statement is", () => {
    const r = classifyMigration("ALTER TABLE a ADD COLUMN b TEXT;\n\nALTER TABLE a DROP COLUMN c;");
    expect(r.class).toBe("mixed");
    expect(r.statements[1]).toEqual({ line: 3, kind: "contract", summary: "ALTER TABLE a DROP COLUMN c" });
  });

  it("classifies the shop's migrations as expand", () => {
    for (const f of ["0001_create_orders.sql", "0002_create_order_items.sql", "0003_create_processed_events.sql"]) {
      expect(classifyMigrationFile(`examples/shop/migrations/${f}`).class).toBe("expand");
    }
  });
});
