import { describe, expect, it } from "vitest";
import { checkMigrations, hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

describe("d1/rename-table", () => {
  it("flags ALTER TABLE … RENAME TO, with the expand/contract steps in the fix", async () => {
    expect(await hitsAfterBase("d1/rename-table", "ALTER TABLE orders RENAME TO purchases;")).toEqual([
      "d1/rename-table@0002_change.sql:1",
    ]);
    const r = await checkMigrations({
      "migrations/0001.sql": "CREATE TABLE orders (id);",
      "migrations/0002.sql": "ALTER TABLE orders RENAME TO purchases;",
    });
    expect(r.findings.find((f) => f.rule === "d1/rename-table")?.fix).toContain("CREATE TABLE purchases");
  });
  it("does not flag a rebuild's rename or renaming a table created in the same file", async () => {
    const rebuild = rebuildOrders("id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0");
    expect(await hitsAfterBase("d1/rename-table", rebuild)).toEqual([]);
    expect(await hitsAfterBase("d1/rename-table", "CREATE TABLE a (x);\nALTER TABLE a RENAME TO b;")).toEqual([]);
  });
});
