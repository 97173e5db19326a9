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

/** Lines of d1/large-data-change in an expand migration (ADD COLUMN orders.note) ending with `sql`, after `schema`. */
async function linesAfterExpand(schema: string, sql: string): Promise<number[]> {
  const r = await checkMigrations({
    "migrations/0001.sql": schema,
    "migrations/0002.sql": `ALTER TABLE orders ADD COLUMN note TEXT;\n${sql}`,
  });
  return r.findings.filter((f) => f.rule === "d1/large-data-change").map((f) => f.line);
}

describe("d1/large-data-change", () => {
  it("reports REPLACE … SELECT into a table the file just created and into an older one", async () => {
    const fresh = `ALTER TABLE orders ADD COLUMN note TEXT;
CREATE TABLE order_search (id INTEGER PRIMARY KEY, text TEXT);
INSERT OR REPLACE INTO order_search (id, text) SELECT id, status FROM orders;`;
    const r = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql": fresh,
    });
    expect(r.findings.filter((f) => f.rule === "d1/large-data-change").map((f) => [f.line, f.severity])).toEqual([
      [3, "info"],
    ]);
    const older = `ALTER TABLE orders ADD COLUMN note TEXT;
INSERT OR REPLACE INTO order_items (id, order_id, sku) SELECT id, id, status FROM orders;`;
    const w = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql": older,
    });
    expect(w.findings.filter((f) => f.rule === "d1/large-data-change").map((f) => [f.line, f.severity])).toEqual([
      [2, "info"],
    ]);
  });

  it("reports every data change of unknown size as info: only --data can show it is large", async () => {
    const severities = async (sql: string) =>
      (
        await checkMigrations({ "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": sql })
      ).findings
        .filter((f) => f.rule === "d1/large-data-change")
        .map((f) => [f.line, f.severity]);
    expect(await severities(BACKFILL)).toEqual([[2, "info"]]);
    expect(
      await severities(
        "CREATE TABLE archive (id INTEGER, total INTEGER);\nINSERT INTO archive SELECT id, total FROM orders;",
      ),
    ).toEqual([[2, "info"]]);
    // Overwrites and deletes too: their data-loss side belongs to d1/unbounded-write, their size to --data.
    expect(
      await severities(
        "ALTER TABLE orders ADD COLUMN state TEXT;\nUPDATE orders SET status = 'x' WHERE id NOT IN (1, 2);",
      ),
    ).toEqual([[2, "info"]]);
    expect(
      await severities("ALTER TABLE orders ADD COLUMN state TEXT;\nDELETE FROM order_items WHERE sku IS NULL;"),
    ).toEqual([[2, "info"]]);
  });
  it("with --data, flags it only when it changes ≥ 1000 rows, and says how many", async () => {
    const big = await checkMigrations(
      { "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": BACKFILL, "prod.sql": dump(2500) },
      "prod.sql",
    );
    const f = big.findings.find((x) => x.rule === "d1/large-data-change");
    expect(f?.message).toContain("changes 2500 rows");
    // Measured, a large backfill is a warning again.
    expect(f?.severity).toBe("warning");
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
  it("does not flag fixing up a rebuild's new table before it is renamed, but flags the same UPDATE on a kept table", async () => {
    const fixup = (
      rename: string,
    ) => `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, note TEXT);
INSERT INTO orders_new (id, status, total) SELECT id, status, total FROM orders;
UPDATE orders_new SET note = (SELECT sku FROM order_items WHERE order_items.order_id = orders_new.id LIMIT 1);
${rename}`;
    expect(
      await hitsAfterBase(
        "d1/large-data-change",
        fixup("DROP TABLE orders;\nALTER TABLE orders_new RENAME TO orders;"),
      ),
    ).toEqual([]);
    expect(await hitsAfterBase("d1/large-data-change", fixup(""))).toEqual([
      "d1/large-data-change@0002_change.sql:2",
      "d1/large-data-change@0002_change.sql:3",
    ]);
  });
  it("does not flag a write to a table of one row at most, or an INSERT of one aggregate row", async () => {
    const schema = `${BASE_MIGRATION}CREATE TABLE stats (id INTEGER PRIMARY KEY CHECK (id = 1), first_total INTEGER, n INTEGER);`;
    const run = (sql: string) => linesAfterExpand(schema, sql);
    expect(await run("UPDATE stats SET n = first_total;")).toEqual([]);
    expect(
      await run(
        "INSERT OR IGNORE INTO stats (id, first_total) SELECT 1, MIN(total) FROM orders WHERE status = 'paid' HAVING COUNT(*) > 0;",
      ),
    ).toEqual([]);
    expect(
      await run(
        "CREATE TABLE totals (n INTEGER, s INTEGER);\nINSERT INTO totals SELECT count(*), Sum(total) FROM orders;",
      ),
    ).toEqual([]);
    // One row per group, a scalar min(a, b), a window function or a UNION: as many rows as the table holds.
    const totals = "CREATE TABLE totals (n INTEGER, s TEXT);\n";
    expect(await run(`${totals}INSERT INTO totals SELECT count(*), status FROM orders GROUP BY status;`)).toEqual([3]);
    expect(await run(`${totals}INSERT INTO totals SELECT min(total, 5), status FROM orders;`)).toEqual([3]);
    expect(await run(`${totals}INSERT INTO totals SELECT count(*) OVER (), status FROM orders;`)).toEqual([3]);
    expect(
      await run(
        `${totals}INSERT INTO totals SELECT count(*), 'a' FROM orders UNION ALL SELECT total, status FROM orders;`,
      ),
    ).toEqual([3]);
    expect(await run("UPDATE order_items SET sku = 'x' WHERE sku IS NULL;")).toEqual([2]);
  });
  it("does not flag an UPDATE or DELETE whose WHERE pins a unique key, or an INSERT of one row", async () => {
    const schema = `${BASE_MIGRATION}CREATE TABLE prices (region TEXT, sku TEXT, cents INTEGER, UNIQUE (region, sku));`;
    const run = (sql: string) => linesAfterExpand(schema, sql);
    expect(await run('UPDATE orders SET status = \'void\' WHERE "orders"."ID" = 7;')).toEqual([]);
    expect(await run("DELETE FROM order_items WHERE id IN (3, 4, 5) AND sku IS NULL;")).toEqual([]);
    expect(await run("DELETE FROM prices WHERE ROWID = 12;")).toEqual([]);
    expect(await run("UPDATE prices SET cents = 0 WHERE sku = 'a' AND region = 'eu';")).toEqual([]);
    expect(
      await run("UPDATE orders SET note = 'x' WHERE id = (SELECT max(order_id) FROM order_items WHERE sku = 'a');"),
    ).toEqual([]);
    expect(await run("UPDATE orders SET note = 'x' WHERE id IN (SELECT order_id FROM order_items);")).toEqual([2]);
    expect(
      await run(
        "INSERT INTO prices (region, sku) SELECT 'eu', 'a' WHERE NOT EXISTS (SELECT 1 FROM prices WHERE sku = 'a');",
      ),
    ).toEqual([]);
    expect(await run("INSERT INTO prices (region, sku) SELECT status, 'a' FROM orders ORDER BY id LIMIT 1;")).toEqual(
      [],
    );
    // Part of a key, a non-unique column, a key compared to a column, an OR, or LIMIT 5: not bounded.
    expect(await run("UPDATE prices SET cents = 0 WHERE sku = 'a';")).toEqual([2]);
    expect(await run("UPDATE orders SET note = 'x' WHERE status = 'paid';")).toEqual([2]);
    expect(await run("UPDATE orders SET note = 'x' WHERE id = total;")).toEqual([2]);
    expect(await run("DELETE FROM orders WHERE id = 1 OR status IS NULL;")).toEqual([2]);
    expect(await run("INSERT INTO prices (region, sku) SELECT status, 'a' FROM orders LIMIT 5;")).toEqual([2]);
  });

  it("does not flag an INSERT … SELECT whose every source table has a unique key pinned, in the WHERE or a JOIN's ON", async () => {
    const schema = `${BASE_MIGRATION}CREATE TABLE prices (region TEXT, sku TEXT, cents INTEGER, UNIQUE (region, sku));
CREATE TABLE links (a INTEGER, b INTEGER);`;
    const run = (sql: string) => linesAfterExpand(schema, sql);
    expect(await run("INSERT INTO prices (region, sku) SELECT status, 'a' FROM orders WHERE id = 1;")).toEqual([]);
    expect(
      await run(
        "INSERT OR IGNORE INTO links (a, b) SELECT o.id, i.id FROM orders o JOIN order_items i ON i.id = 7 WHERE o.id = 1 AND NOT EXISTS (SELECT 1 FROM links WHERE a = o.id);",
      ),
    ).toEqual([]);
    expect(
      await run(
        "INSERT INTO links (a, b) SELECT o.id, i.id FROM orders o JOIN order_items i ON 7 = i.id WHERE 1 = o.id;",
      ),
    ).toEqual([]);
    // A joined table pinned on a non-unique column, or not at all, and a WHERE on the wrong alias: unbounded.
    expect(
      await run(
        "INSERT INTO links (a, b) SELECT o.id, i.id FROM orders o JOIN order_items i ON i.sku = 'x' WHERE o.id = 1;",
      ),
    ).toEqual([2]);
    expect(
      await run("INSERT INTO links (a, b) SELECT o.id, i.id FROM orders o, order_items i WHERE o.id = 1;"),
    ).toEqual([2]);
    expect(
      await run(
        "INSERT INTO links (a, b) SELECT o.id, i.id FROM orders o JOIN order_items i ON i.order_id = o.id WHERE i.id = 1;",
      ),
    ).toEqual([2]);
    // sqlite_sequence holds one row per AUTOINCREMENT table.
    expect(
      await run(
        "UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(id), 0) FROM orders)) WHERE name = 'orders';",
      ),
    ).toEqual([]);
  });

  it("says nothing of an UPDATE or DELETE whose WHERE no row can match: the column it tests holds the file's new DEFAULT", async () => {
    const lines = async (sql: string) => hitsAfterBase("d1/large-data-change", sql);
    const add = "ALTER TABLE orders ADD COLUMN state TEXT DEFAULT 'local';\n";
    const none = [
      `${add}UPDATE orders\nSET state = CASE WHEN total > 0 THEN 'paid' ELSE 'local' END\nWHERE state IS NULL OR TRIM(state) = '';`,
      `${add}UPDATE orders SET state = 'x' WHERE "orders"."state" <> 'local' AND total > 0;`,
      "ALTER TABLE orders ADD COLUMN note TEXT;\nDELETE FROM orders WHERE note IS NOT NULL AND total > 0;",
    ];
    for (const sql of none) expect(await lines(sql), sql).toEqual([]);
    const flagged = [
      // Every row holds NULL, which IS NULL matches; a branch on an old column; a branch SQLite cannot decide once.
      "ALTER TABLE orders ADD COLUMN state TEXT;\nUPDATE orders SET state = 'x' WHERE state IS NULL;",
      `${add}UPDATE orders SET state = 'x' WHERE state IS NULL OR status = 'paid';`,
      `${add}UPDATE orders SET state = 'x' WHERE state <> 'local' OR random() > 0;`,
      `${add}UPDATE orders SET state = 'x' WHERE state <> (SELECT 'local');`,
      // INTEGER affinity turns '1' into 1: the row matches.
      "ALTER TABLE orders ADD COLUMN n INTEGER DEFAULT 1;\nDELETE FROM orders WHERE n = '1';",
    ];
    for (const sql of flagged) expect(await lines(sql), sql).toEqual(["d1/large-data-change@0002_change.sql:2"]);
    // Written in between: the rows no longer all hold the DEFAULT.
    expect(
      await lines(
        `${add}UPDATE orders SET state = NULL WHERE total > 0;\nUPDATE orders SET state = 'x' WHERE state IS NULL;`,
      ),
    ).toEqual(["d1/large-data-change@0002_change.sql:2", "d1/large-data-change@0002_change.sql:3"]);
  });
});

describe("d1/large-data-change: writes whose size the file states", () => {
  it("does not flag an INSERT OR REPLACE of listed rows, but flags a REPLACE … SELECT", async () => {
    const meta = "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);\n";
    expect(
      await linesAfterExpand(
        BASE_MIGRATION + meta,
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', 'v2'), ('mode', 'on');",
      ),
    ).toEqual([]);
    expect(
      await linesAfterExpand(
        BASE_MIGRATION + meta,
        "INSERT OR REPLACE INTO meta (key, value) SELECT status, 'x' FROM orders;",
      ),
    ).toEqual([2]);
  });

  it("does not flag an UPDATE or DELETE of a table this file created and left empty, but does once it wrote rows", async () => {
    const created = "CREATE TABLE merge_map (old_id INTEGER, new_id INTEGER);\n";
    expect(await linesAfterExpand(BASE_MIGRATION, `${created}DELETE FROM merge_map;`)).toEqual([]);
    expect(
      await linesAfterExpand(
        BASE_MIGRATION,
        `${created}INSERT INTO merge_map SELECT id, id FROM orders;\nDELETE FROM merge_map WHERE old_id = new_id;`,
      ),
    ).toEqual([3, 4]);
  });
});
