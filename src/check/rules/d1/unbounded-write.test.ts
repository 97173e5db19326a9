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
  it("flags a DELETE without WHERE of a table made outside the migrations, which the replay cannot run", async () => {
    const r = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002.sql": "ALTER TABLE docs ADD COLUMN hidden INTEGER DEFAULT 0;",
      "migrations/0003.sql":
        "DELETE FROM docs;\nINSERT INTO docs (slug) VALUES ('intro');\nDELETE FROM missing_too WHERE 1 = 0;",
    });
    const found = r.findings
      .filter((f) => f.rule === "d1/unbounded-write")
      .map((f) => `${f.file.split("/").pop()}:${f.line}`);
    expect(found).toEqual(["0003.sql:1"]);
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
  it("does not flag an UPDATE of a table that holds one row at most, but still a DELETE of it or a table that is not one", async () => {
    const run = async (schema: string, sql: string) =>
      (await checkMigrations({ "migrations/0001.sql": schema, "migrations/0002.sql": sql })).findings
        .filter((f) => f.rule === "d1/unbounded-write")
        .map((f) => f.line);
    const single = 'CREATE TABLE "Config" ("Id" INTEGER PRIMARY KEY CHECK ("Id" = 1), n INTEGER, m INTEGER);';
    expect(await run(single, "UPDATE config SET n = m;")).toEqual([]);
    expect(await run(single, "UPDATE config SET n = m;\nDELETE FROM config;")).toEqual([2]);
    // A key CHECKed to two values, or a nullable non-integer key (NULL passes a CHECK), is no singleton.
    expect(
      await run("CREATE TABLE s (id INTEGER PRIMARY KEY CHECK (id IN (1, 2)), n);", "UPDATE s SET n = 1;"),
    ).toEqual([1]);
    expect(await run("CREATE TABLE s (id TEXT PRIMARY KEY CHECK (id = 'x'), n);", "UPDATE s SET n = 1;")).toEqual([1]);
    expect(
      await run("CREATE TABLE s (id INTEGER PRIMARY KEY, k INTEGER CHECK (k = 1), n);", "UPDATE s SET n = 1;"),
    ).toEqual([1]);
    // NOT NULL and UNIQUE on the pinned column make it one too.
    expect(
      await run("CREATE TABLE s (k TEXT NOT NULL UNIQUE, n, CHECK (k = 'only' AND n > 0));", "UPDATE s SET n = 1;"),
    ).toEqual([]);
  });
  it("is info for an UPDATE that only fills columns the file added before it, or sets a column to itself", async () => {
    const severities = async (sql: string, prod?: string) => {
      const files: Record<string, string> = { "migrations/0001_init.sql": BASE_MIGRATION, "migrations/0002.sql": sql };
      if (prod) files["prod.sql"] = prod;
      const r = await checkMigrations(files, prod ? "prod.sql" : undefined);
      return r.findings.filter((f) => f.rule === "d1/unbounded-write").map((f) => [f.line, f.severity]);
    };
    const backfill = "ALTER TABLE orders ADD COLUMN paid INTEGER NOT NULL DEFAULT 0;\nUPDATE orders SET paid = 1;";
    expect(await severities(backfill)).toEqual([[2, "info"]]);
    // A column saved aside and restored under its old name: the copy writes only what this file added.
    const restore = `ALTER TABLE orders ADD COLUMN _status_bak TEXT;
UPDATE orders SET _status_bak = status;
ALTER TABLE orders DROP COLUMN status;
ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'new';
UPDATE orders SET status = COALESCE(_status_bak, 'new');`;
    expect(await severities(restore)).toEqual([
      [2, "info"],
      [5, "info"],
    ]);
    expect(await severities('UPDATE orders SET "status" = status;')).toEqual([[1, "info"]]);
    // Any column that held values before the file keeps it a warning: those values are overwritten.
    expect(await severities("UPDATE orders SET status = NULL;")).toEqual([[1, "warning"]]);
    expect(
      await severities("ALTER TABLE orders ADD COLUMN paid INTEGER;\nUPDATE orders SET paid = 1, status = 'paid';"),
    ).toEqual([[2, "warning"]]);
    // A new value computed from the column itself overwrites the old one: no self-assignment.
    expect(await severities("UPDATE orders SET total = total + 1;")).toEqual([[1, "warning"]]);
    // A string that spells the column's name is a value, not the column.
    expect(await severities("UPDATE orders SET status = 'status';")).toEqual([[1, "warning"]]);
  });

  it("with --data, keeps a backfill a warning from 1000 rows on, and says how many it counted", async () => {
    const prod = (
      n: number,
    ) => `CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);
INSERT INTO d1_migrations (name) VALUES ('0001_init.sql');
${BASE_MIGRATION}
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n}) INSERT INTO orders (id, status) SELECT i, 'new' FROM n;`;
    const found = async (n: number) =>
      (
        await checkMigrations(
          {
            "migrations/0001_init.sql": BASE_MIGRATION,
            "migrations/0002.sql": "ALTER TABLE orders ADD COLUMN paid INTEGER;\nUPDATE orders SET paid = 0;",
            "prod.sql": prod(n),
          },
          "prod.sql",
        )
      ).findings
        .filter((f) => f.rule === "d1/unbounded-write")
        .map((f) => [f.severity, f.message.match(/\((\d+) rows on/)?.[1]]);
    expect(await found(20)).toEqual([["info", "20"]]);
    expect(await found(1500)).toEqual([["warning", "1500"]]);
  });
});
