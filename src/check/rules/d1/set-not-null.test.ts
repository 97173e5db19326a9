import { describe, expect, it } from "vitest";
import { checkMigrations, hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

const rebuild = (statusDecl: string) =>
  rebuildOrders(`id INTEGER PRIMARY KEY, status ${statusDecl}, total INTEGER NOT NULL DEFAULT 0`);

describe("d1/set-not-null", () => {
  it("flags a rebuild that makes a nullable column NOT NULL", async () => {
    expect(await hitsAfterBase("d1/set-not-null", rebuild("TEXT NOT NULL DEFAULT 'new'"))).toEqual([
      "d1/set-not-null@0002_change.sql:1",
    ]);
  });
  it("does not flag a rebuild that keeps it nullable, or loosens NOT NULL", async () => {
    expect(await hitsAfterBase("d1/set-not-null", rebuild("TEXT"))).toEqual([]);
    const loosen = rebuildOrders("id INTEGER PRIMARY KEY, status TEXT, total INTEGER");
    expect(await hitsAfterBase("d1/set-not-null", loosen)).toEqual([]);
  });
  it("does not flag the old rowid alias (a lone INTEGER PRIMARY KEY) that the rebuild keeps as a NOT NULL column", async () => {
    const base = (key: string) => ({
      "migrations/0001_base.sql": `CREATE TABLE s (qr_id ${key} PRIMARY KEY, t TEXT);`,
    });
    const change = (
      key: string,
    ) => `CREATE TABLE s_new (id INTEGER PRIMARY KEY AUTOINCREMENT, qr_id ${key} NOT NULL, t TEXT);
INSERT INTO s_new (qr_id, t) SELECT qr_id, t FROM s;
DROP TABLE s;
ALTER TABLE s_new RENAME TO s;`;
    expect(await hitsAfterBase("d1/set-not-null", change("INTEGER"), base("INTEGER"))).toEqual([]);
    // A TEXT primary key of a rowid table can hold NULL in SQLite: still flagged.
    expect(await hitsAfterBase("d1/set-not-null", change("TEXT"), base("TEXT"))).toEqual([
      "d1/set-not-null@0002_change.sql:1",
    ]);
  });
});

describe("d1/set-not-null: a column that keeps a DEFAULT", () => {
  /** Severities of d1/set-not-null when `rules.match_count` (declared `before`) is rebuilt NOT NULL DEFAULT 0. */
  const severities = async (before: string) =>
    (
      await checkMigrations({
        "migrations/0001_base.sql": `CREATE TABLE rules (id INTEGER PRIMARY KEY, match_count ${before});`,
        "migrations/0002_change.sql": `CREATE TABLE rules_new (id INTEGER PRIMARY KEY, match_count INTEGER NOT NULL DEFAULT 0);
INSERT INTO rules_new SELECT id, match_count FROM rules;
DROP TABLE rules;
ALTER TABLE rules_new RENAME TO rules;`,
      })
    ).findings
      .filter((f) => f.rule === "d1/set-not-null")
      .map((f) => [f.severity, f.message]);

  it("reports at info when the column had a DEFAULT and keeps one (only explicit NULL writes can break the copy)", async () => {
    const [hit] = await severities("INTEGER DEFAULT 0");
    expect(hit?.[0]).toBe("info");
    expect(hit?.[1]).toContain("only rows where code wrote NULL explicitly");
    expect((await severities("INTEGER")).map(([s]) => s)).toEqual(["error"]);
  });
});
