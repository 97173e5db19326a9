import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase } from "../../d1/testing.js";

describe("d1/sql-error", () => {
  it("reports SQLite's error at the line of the offending token", async () => {
    const r = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002.sql": "ALTER TABLE orders ADD COLUMN a TEXT;\nSELECT *\nFROMM orders;",
    });
    const f = r.findings.find((x) => x.rule === "d1/sql-error");
    expect(f?.line).toBe(3);
    expect(f?.message).toContain('near "FROMM": syntax error');
  });
  it("reports statements that fail on the schema (no such table) and unterminated strings", async () => {
    // A table that a migration dropped earlier (one that none created is d1/missing-base-schema's).
    const dropped = "DROP TABLE order_items;\nALTER TABLE order_items ADD COLUMN a TEXT;";
    expect(await hitsAfterBase("d1/sql-error", dropped)).toEqual(["d1/sql-error@0002_change.sql:2"]);
    expect(await hitsAfterBase("d1/missing-base-schema", "\nALTER TABLE nope ADD COLUMN a TEXT;")).toEqual([
      "d1/missing-base-schema@0002_change.sql:2",
    ]);
    expect(await hitsAfterBase("d1/sql-error", "INSERT INTO orders (status) VALUES ('open);\nSELECT 1;")).toEqual([
      "d1/sql-error@0002_change.sql:1",
    ]);
  });
  it("does not flag valid SQL with odd quoting and comments", async () => {
    const sql = `/* multi
line */ CREATE TABLE "we;ird" ([a;b] TEXT DEFAULT 'it''s -- not a comment', \`c\` INTEGER); -- trailing
INSERT INTO "we;ird" VALUES ('x;y', 1);`;
    expect(await hitsAfterBase("d1/sql-error", sql)).toEqual([]);
  });
});
