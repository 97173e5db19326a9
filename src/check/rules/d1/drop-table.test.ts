import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

describe("d1/drop-table", () => {
  it("flags dropping a table that existed before", async () => {
    expect(await hitsAfterBase("d1/drop-table", "DROP TABLE order_items;")).toEqual([
      "d1/drop-table@0002_change.sql:1",
    ]);
  });
  it("does not flag a scratch table created in the same file, nor a rebuild", async () => {
    expect(await hitsAfterBase("d1/drop-table", "CREATE TABLE tmp (x);\nDROP TABLE tmp;")).toEqual([]);
    const rebuild = `CREATE TABLE order_items_new (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, sku TEXT);
INSERT INTO order_items_new SELECT * FROM order_items;
DROP TABLE order_items;
ALTER TABLE order_items_new RENAME TO order_items;`;
    expect(await hitsAfterBase("d1/drop-table", rebuild)).toEqual([]);
  });
  it("judges the file's net effect: drop-and-recreate loses every row, unless the rows were copied out first", async () => {
    const recreate =
      "DROP TABLE order_items;\nCREATE TABLE order_items (id INTEGER PRIMARY KEY, order_id INTEGER, sku TEXT);";
    expect(await hitsAfterBase("d1/drop-table", recreate)).toEqual(["d1/drop-table@0002_change.sql:1"]);
    const { checkMigrations, BASE_MIGRATION } = await import("../../d1/testing.js");
    const r = await checkMigrations({ "migrations/0001.sql": BASE_MIGRATION, "migrations/0002.sql": recreate });
    expect(r.findings.find((f) => f.rule === "d1/drop-table")?.message).toContain("starts empty");
    const copied = `CREATE TABLE items_keep AS SELECT * FROM order_items WHERE 0;
INSERT INTO items_keep SELECT * FROM order_items;
${recreate}`;
    const kept = await checkMigrations({ "migrations/0001.sql": BASE_MIGRATION, "migrations/0002.sql": copied });
    expect(kept.findings.find((f) => f.rule === "d1/drop-table")?.severity).toBe("warning");
  });
  it("does not flag DROP TABLE IF EXISTS then CREATE of a table that did not exist", async () => {
    expect(await hitsAfterBase("d1/drop-table", "DROP TABLE IF EXISTS fresh;\nCREATE TABLE fresh (x);")).toEqual([]);
  });
  it("puts the table name in the fix", async () => {
    const { checkMigrations, BASE_MIGRATION } = await import("../../d1/testing.js");
    const r = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002.sql": "DROP TABLE order_items;",
    });
    expect(r.findings[0]?.fix).toContain("DROP TABLE order_items;");
  });
});
