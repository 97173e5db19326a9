import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, exportDump, hitsAfterBase } from "../../d1/testing.js";

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
  it("reports a migration that records its own name in d1_migrations: wrangler's insert of it then fails", async () => {
    const own =
      "ALTER TABLE orders ADD COLUMN a TEXT;\nINSERT OR IGNORE INTO d1_migrations (name) VALUES ('0002_change.sql');";
    const r = await checkMigrations({ "migrations/0001.sql": BASE_MIGRATION, "migrations/0002_change.sql": own });
    const f = r.findings.find((x) => x.rule === "d1/sql-error");
    expect(f?.line).toBe(2);
    expect(f?.message).toMatch(
      /wrangler records 0002_change\.sql in d1_migrations after the file's statements, and that insert fails \("UNIQUE constraint failed/,
    );
    expect(r.findings.some((x) => x.rule === "d1/reserved-table" && x.line === 2)).toBe(true);
    // Written by an earlier file: the later one fails on its last statement.
    const early = await checkMigrations({
      "migrations/0001.sql": `${BASE_MIGRATION}\nINSERT INTO d1_migrations (name) VALUES ('0003_next.sql');`,
      "migrations/0002_change.sql": "ALTER TABLE orders ADD COLUMN a TEXT;",
      "migrations/0003_next.sql": "ALTER TABLE orders ADD COLUMN b TEXT;\nALTER TABLE orders ADD COLUMN c TEXT;",
    });
    const later = early.findings.filter((x) => x.rule === "d1/sql-error");
    expect(later.map((x) => `${x.file}:${x.line}`)).toEqual(["migrations/0003_next.sql:2"]);
  });
  it("does not flag valid SQL with odd quoting and comments", async () => {
    const sql = `/* multi
line */ CREATE TABLE "we;ird" ([a;b] TEXT DEFAULT 'it''s -- not a comment', \`c\` INTEGER); -- trailing
INSERT INTO "we;ird" VALUES ('x;y', 1);`;
    expect(await hitsAfterBase("d1/sql-error", sql)).toEqual([]);
  });
  it("an INSERT whose parent row no migration inserts is a data-dependent warning, settled by --data", async () => {
    const base = `CREATE TABLE categories (id TEXT PRIMARY KEY);
CREATE TABLE merchants (id TEXT PRIMARY KEY, category_id TEXT REFERENCES categories (id));`;
    const seed = "INSERT INTO merchants (id, category_id) VALUES ('m1', 'cat_fitness');";
    const r = await checkMigrations({ "migrations/0001_base.sql": base, "migrations/0002_seed.sql": seed });
    const f = r.findings.find((x) => x.rule === "d1/sql-error");
    expect([f?.severity, f?.line]).toEqual(["warning", 1]);
    expect(f?.message).toContain("references a row that no migration inserts");
    const dump = (rows: string) => exportDump(base, rows);
    const files = { "migrations/0001_base.sql": base, "migrations/0002_seed.sql": seed };
    const has = await checkMigrations(
      { ...files, "prod.sql": dump("INSERT INTO categories VALUES ('cat_fitness');") },
      "prod.sql",
    );
    expect(has.findings.find((x) => x.rule === "d1/sql-error")?.severity).toBe("info");
    const lacks = await checkMigrations({ ...files, "prod.sql": dump("") }, "prod.sql");
    expect(lacks.findings.find((x) => x.rule === "d1/sql-error")?.severity).toBe("error");
    // The parent inserted first in the same file: no failure at all.
    const both = await checkMigrations({
      ...files,
      "migrations/0002_seed.sql": `INSERT INTO categories VALUES ('cat_fitness');\n${seed}`,
    });
    expect(both.findings.filter((x) => x.rule === "d1/sql-error")).toEqual([]);
  });
  it("reports a failure that only follows from an earlier one as info, naming the failure to fix first", async () => {
    const sev = (r: Awaited<ReturnType<typeof checkMigrations>>) =>
      r.findings.filter((x) => x.rule === "d1/sql-error").map((x) => `${x.file}:${x.line} ${x.severity}`);
    // 0002 fails at line 2, so D1 rolls back its ADD of `note`: 0003's ADD of `note` runs wherever 0002 failed.
    const rolledBack = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002_a.sql": "ALTER TABLE orders ADD COLUMN note TEXT;\nALTER TABLE orders ADD COLUMN status TEXT;",
      "migrations/0003_b.sql": "ALTER TABLE orders ADD COLUMN note TEXT;",
      "migrations/0004_c.sql": "ALTER TABLE orders ADD COLUMN note TEXT;",
    });
    expect(sev(rolledBack)).toEqual([
      "migrations/0002_a.sql:2 error",
      "migrations/0003_b.sql:1 info",
      // Where 0002 rolled back, 0003 added `note`: 0004's clash is its own.
      "migrations/0004_c.sql:1 error",
    ]);
    expect(rolledBack.findings.find((x) => x.file === "migrations/0003_b.sql")?.message).toContain(
      "migrations/0002_a.sql, which fails at line 2",
    );
    // The replay keeps a failed file's DROP, yet a later read of the table stays an error: where that file rolled
    // back, the statement meets the old table, whose shape the replay no longer knows.
    const dropKept = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002_a.sql":
        "DROP TABLE order_items;\nCREATE TABLE order_items (id INTEGER PRIMARY KEY, sku TEXT, sku TEXT);",
      "migrations/0003_b.sql": "CREATE INDEX idx_items_sku ON order_items (sku);",
    });
    expect(sev(dropKept)).toContain("migrations/0003_b.sql:1 error");
    // In one file: a column re-added after its DROP failed, on the same table; another table's clash is its own.
    const sameFile = await checkMigrations({
      "migrations/0001.sql": `${BASE_MIGRATION}CREATE INDEX idx_orders_status ON orders (status);\nCREATE TABLE notes (id INTEGER PRIMARY KEY, status TEXT);`,
      "migrations/0002_a.sql":
        "ALTER TABLE orders DROP COLUMN status;\nALTER TABLE orders ADD COLUMN status TEXT;\nALTER TABLE notes ADD COLUMN status TEXT;",
    });
    expect(sev(sameFile)).toEqual([
      "migrations/0002_a.sql:1 error",
      "migrations/0002_a.sql:2 info",
      "migrations/0002_a.sql:3 error",
    ]);
    // Several statements that fail for one missing column: each is its own failure, not a follow-on.
    const sameCause = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002_a.sql": "UPDATE orders SET note = 'a' WHERE id = 1;\nUPDATE orders SET note = 'b' WHERE id = 2;",
    });
    expect(sev(sameCause)).toEqual(["migrations/0002_a.sql:1 error", "migrations/0002_a.sql:2 error"]);
    // A file that applies: nothing follows from it.
    const fine = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002_a.sql": "ALTER TABLE orders ADD COLUMN note TEXT;",
      "migrations/0003_b.sql": "ALTER TABLE orders ADD COLUMN note TEXT;",
    });
    expect(sev(fine)).toEqual(["migrations/0003_b.sql:1 error"]);
  });
});
