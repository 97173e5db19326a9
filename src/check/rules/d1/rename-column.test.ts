import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

describe("d1/rename-column", () => {
  it("flags RENAME COLUMN and fills the 5-step fix with the user's names", async () => {
    const r = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002.sql": "ALTER TABLE orders RENAME COLUMN status TO state;",
    });
    const f = r.findings.find((x) => x.rule === "d1/rename-column");
    expect(f?.line).toBe(1);
    expect(f?.fix).toContain("ALTER TABLE orders ADD COLUMN state TEXT;");
    expect(f?.fix).toContain("UPDATE orders SET state = status");
    expect(f?.fix).toContain("ALTER TABLE orders DROP COLUMN status;");
  });
  it("flags a rebuild that renames a column in place", async () => {
    const sql = rebuildOrders("id INTEGER PRIMARY KEY, state TEXT, total INTEGER NOT NULL DEFAULT 0");
    expect(await hitsAfterBase("d1/rename-column", sql)).toEqual(["d1/rename-column@0002_change.sql:1"]);
  });
  it("does not flag renaming a column the same file added, but still reports the drop it replaces", async () => {
    const swap =
      "ALTER TABLE orders ADD COLUMN new_status TEXT;\nUPDATE orders SET new_status = upper(status);\nALTER TABLE orders DROP COLUMN status;\nALTER TABLE orders RENAME COLUMN new_status TO status;";
    expect(await hitsAfterBase("d1/rename-column", swap)).toEqual([]);
    expect(await hitsAfterBase("d1/drop-column", swap)).toEqual(["d1/drop-column@0002_change.sql:3"]);
  });
  it("does not flag new columns", async () => {
    expect(await hitsAfterBase("d1/rename-column", "ALTER TABLE orders ADD COLUMN state TEXT;")).toEqual([]);
  });

  it("names the column a rebuild's copy fills from the old one, not the one at its old position", async () => {
    const rename = async (copy: string) =>
      (
        await checkMigrations({
          "migrations/0001.sql": BASE_MIGRATION,
          "migrations/0002.sql": `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, note TEXT, state TEXT, total INTEGER NOT NULL DEFAULT 0);
INSERT INTO orders_new (id, ${copy}, total) SELECT id, status, total FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`,
        })
      ).findings.find((x) => x.rule === "d1/rename-column")?.message;
    expect(await rename("state")).toContain("renames column orders.status to state");
    expect(await rename("note")).toContain("renames column orders.status to note");
  });
});
