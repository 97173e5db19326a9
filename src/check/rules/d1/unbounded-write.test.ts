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
});
