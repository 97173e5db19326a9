import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase, writeProject } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

const REBUILD_ORDERS = `PRAGMA defer_foreign_keys = on;
CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, note TEXT);
INSERT INTO orders_new (id, status, total) SELECT id, status, total FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
`;

/** A production-like snapshot: 0001 applied, 3 orders, 5 items (2 + 1 + 2). */
const DUMP = `CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);
INSERT INTO d1_migrations (name) VALUES ('0001_base.sql');
${BASE_MIGRATION}
INSERT INTO orders (id, status) VALUES (1, 'paid'), (2, 'paid'), (3, NULL);
INSERT INTO order_items (order_id, sku) VALUES (1, 'a'), (1, 'b'), (2, 'c'), (3, 'd'), (3, 'e');
`;

describe("d1/rebuild-cascade", () => {
  it("flags a parent rebuild whose DROP fires ON DELETE CASCADE, at the DROP line", async () => {
    expect(await hitsAfterBase("d1/rebuild-cascade", REBUILD_ORDERS)).toEqual(["d1/rebuild-cascade@0002_change.sql:4"]);
  });

  it("flags the save-aside shape: the parent copied to a backup, dropped, created again and refilled", async () => {
    const saveAside = `CREATE TABLE orders_backup AS SELECT * FROM orders;
DROP TABLE orders;
CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, note TEXT);
INSERT INTO orders (id, status, total) SELECT id, status, total FROM orders_backup;
DROP TABLE orders_backup;
`;
    expect(await hitsAfterBase("d1/rebuild-cascade", saveAside)).toEqual(["d1/rebuild-cascade@0002_change.sql:2"]);
  });

  it("with a wrangler d1 export dump, reports exactly how many child rows the cascade deletes", async () => {
    const r = await checkMigrations(
      { "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": REBUILD_ORDERS, "prod.sql": DUMP },
      "prod.sql",
    );
    const f = r.findings.find((x) => x.rule === "d1/rebuild-cascade");
    expect(f?.data?.rowsLost).toBe(5);
    expect(f?.message).toContain(
      "deletes 5 rows of order_items through order_items(order_id) → orders(id) ON DELETE CASCADE",
    );
  });

  it("counts the same from a SQLite file, and follows cascades two levels down", async () => {
    const dir = writeProject({
      "migrations/0001_base.sql": `${BASE_MIGRATION}
CREATE TABLE item_notes (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES order_items (id) ON DELETE CASCADE);`,
      "migrations/0002_change.sql": REBUILD_ORDERS,
    });
    const db = new Database(join(dir, "prod.sqlite"));
    db.exec(DUMP.replace("0001_base.sql", "0001_base.sql"));
    db.exec(
      "CREATE TABLE item_notes (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES order_items (id) ON DELETE CASCADE);",
    );
    db.exec("INSERT INTO item_notes (item_id) VALUES (1), (2), (5);");
    db.close();
    const r = await runCheck(dir, { analyzers: [d1Analyzer], data: join(dir, "prod.sqlite") });
    const f = r.findings.find((x) => x.rule === "d1/rebuild-cascade");
    expect(f?.data?.rowsLost).toBe(8);
    expect(f?.message).toContain("deletes 3 rows of item_notes");
    expect(f?.message).toContain("via orders → order_items → item_notes");
  });

  it("catches the rename-away shape: SQLite re-points the children at the old table, then DROP cascades", async () => {
    const sql = `ALTER TABLE orders RENAME TO orders_old;
CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, note TEXT);
INSERT INTO orders (id, status, total) SELECT id, status, total FROM orders_old;
DROP TABLE orders_old;`;
    const r = await checkMigrations(
      { "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": sql, "prod.sql": DUMP },
      "prod.sql",
    );
    const f = r.findings.find((x) => x.rule === "d1/rebuild-cascade");
    expect([f?.line, f?.data?.rowsLost]).toEqual([4, 5]);
    expect(f?.message).toContain("the rebuild of orders drops orders_old");
  });

  it("also names ON DELETE SET NULL children", async () => {
    const r = await checkMigrations({
      "migrations/0001.sql":
        "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id) ON DELETE SET NULL);",
      "migrations/0002.sql":
        "CREATE TABLE a2 (id INTEGER PRIMARY KEY, x TEXT);\nINSERT INTO a2 (id) SELECT id FROM a;\nDROP TABLE a;\nALTER TABLE a2 RENAME TO a;",
    });
    expect(r.findings.find((x) => x.rule === "d1/rebuild-cascade")?.message).toContain("unlinks every row of b");
  });

  it("does not flag rebuilding a table no one references with an action, or a NO ACTION reference", async () => {
    const items = `CREATE TABLE order_items_new (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE, sku TEXT, qty INTEGER);
INSERT INTO order_items_new (id, order_id, sku) SELECT id, order_id, sku FROM order_items;
DROP TABLE order_items;
ALTER TABLE order_items_new RENAME TO order_items;`;
    expect(await hitsAfterBase("d1/rebuild-cascade", items)).toEqual([]);
    const r = await checkMigrations({
      "migrations/0001.sql":
        "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));",
      "migrations/0002.sql":
        "PRAGMA defer_foreign_keys = on;\nCREATE TABLE a2 (id INTEGER PRIMARY KEY, x TEXT);\nINSERT INTO a2 (id) SELECT id FROM a;\nDROP TABLE a;\nALTER TABLE a2 RENAME TO a;",
    });
    expect(r.findings.filter((x) => x.rule === "d1/rebuild-cascade")).toEqual([]);
  });

  it("the fix's keep-and-restore recipe really keeps the rows on the data", async () => {
    const keep = `PRAGMA defer_foreign_keys = on;
CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, note TEXT);
INSERT INTO orders_new (id, status, total) SELECT id, status, total FROM orders;
CREATE TABLE order_items_keep AS SELECT * FROM order_items;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
INSERT INTO order_items SELECT * FROM order_items_keep;
DROP TABLE order_items_keep;
`;
    const r = await checkMigrations(
      { "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": keep, "prod.sql": DUMP },
      "prod.sql",
    );
    expect(r.findings).toEqual([]);
  });
  it("does not flag children saved whole before the parent's rebuild and restored whole after it", async () => {
    const base = `${BASE_MIGRATION}CREATE TABLE "Notes" (id INTEGER PRIMARY KEY, order_id INTEGER REFERENCES orders (id) ON DELETE CASCADE, body TEXT);`;
    const keep = `CREATE TABLE order_items_pre AS SELECT * FROM order_items;
CREATE TABLE notes_pre AS SELECT id, order_id, body FROM "Notes";
${REBUILD_ORDERS}INSERT INTO order_items (id, order_id, sku) SELECT id, order_id, sku FROM order_items_pre;
INSERT INTO [notes] SELECT * FROM notes_pre;
DROP TABLE order_items_pre;
DROP TABLE notes_pre;`;
    const run = async (sql: string) =>
      (await checkMigrations({ "migrations/0001.sql": base, "migrations/0002.sql": sql })).findings
        .filter((f) => f.rule === "d1/rebuild-cascade" || f.rule === "d1/large-data-change")
        .map((f) => `${f.rule}:${f.line}:${f.data?.children ?? ""}`);
    expect(await run(keep)).toEqual([]);
    expect(await run(keep.replace("INSERT INTO [notes]", "INSERT OR REPLACE INTO [notes]"))).toEqual([]);
    // A restore that leaves a column out, reads part of the copy, or copies a constant still loses data.
    expect(
      await run(keep.replace("(id, order_id, sku) SELECT id, order_id, sku", "(id, order_id) SELECT id, order_id")),
    ).toEqual(["d1/rebuild-cascade:6:order_items", "d1/large-data-change:8:"]);
    expect(await run(keep.replace("FROM order_items_pre;", "FROM order_items_pre WHERE sku IS NOT NULL;"))).toEqual([
      "d1/rebuild-cascade:6:order_items",
      "d1/large-data-change:8:",
    ]);
    expect(await run(keep.replace("SELECT id, order_id, sku FROM", "SELECT id, order_id, NULL FROM"))).toEqual([
      "d1/rebuild-cascade:6:order_items",
      "d1/large-data-change:8:",
    ]);
    // A child that is saved but never put back, or put back from a partial save, loses its rows.
    expect(await run(keep.replace("INSERT INTO [notes] SELECT * FROM notes_pre;", ""))).toEqual([
      "d1/rebuild-cascade:6:Notes",
    ]);
    expect(await run(keep.replace('FROM "Notes";', 'FROM "Notes" WHERE body IS NOT NULL;'))).toEqual([
      "d1/rebuild-cascade:6:Notes",
      "d1/large-data-change:9:",
    ]);
  });

  it("says nothing of children (or a parent) the same file emptied before the DROP, and flags those it did not", async () => {
    expect(await hitsAfterBase("d1/rebuild-cascade", `DELETE FROM order_items;\n${REBUILD_ORDERS}`)).toEqual([]);
    expect(await hitsAfterBase("d1/rebuild-cascade", `DELETE FROM orders;\n${REBUILD_ORDERS}`)).toEqual([]);
    // Emptied with a WHERE, refilled afterwards, or emptied after the DROP: the cascade still deletes rows.
    for (const before of [
      "DELETE FROM order_items WHERE sku IS NULL;",
      "DELETE FROM order_items;\nINSERT INTO order_items (order_id, sku) SELECT id, status FROM orders;",
    ])
      expect(await hitsAfterBase("d1/rebuild-cascade", `${before}\n${REBUILD_ORDERS}`), before).toEqual([
        `d1/rebuild-cascade@0002_change.sql:${before.split("\n").length + 4}`,
      ]);
    expect(await hitsAfterBase("d1/rebuild-cascade", `${REBUILD_ORDERS}DELETE FROM order_items;`)).toEqual([
      "d1/rebuild-cascade@0002_change.sql:4",
    ]);
  });

  it("does not flag a table's self-reference (its rows were copied before the DROP), but flags another child", async () => {
    const nav =
      "CREATE TABLE nav (id TEXT PRIMARY KEY, label TEXT, parent_id TEXT REFERENCES nav (id) ON DELETE CASCADE);";
    const rebuild = `CREATE TABLE nav_new (id TEXT PRIMARY KEY, parent_id TEXT REFERENCES nav_new (id) ON DELETE CASCADE);
INSERT INTO nav_new (id, parent_id) SELECT id, parent_id FROM nav;
DROP TABLE nav;
ALTER TABLE nav_new RENAME TO nav;`;
    const child = "CREATE TABLE pins (id INTEGER PRIMARY KEY, nav_id TEXT REFERENCES nav (id) ON DELETE CASCADE);";
    expect(await hitsAfterBase("d1/rebuild-cascade", rebuild, { "migrations/0001_base.sql": nav })).toEqual([]);
    expect(
      await hitsAfterBase("d1/rebuild-cascade", rebuild, { "migrations/0001_base.sql": `${nav}\n${child}` }),
    ).toEqual(["d1/rebuild-cascade@0002_change.sql:3"]);
  });
});
