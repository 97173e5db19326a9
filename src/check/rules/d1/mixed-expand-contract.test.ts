import { describe, expect, it } from "vitest";
import { gitIn, writeProject } from "../../config/fixture.js";
import { d1Analyzer } from "../../d1/analyzer.js";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase, TEST_WRANGLER } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

/** The lines this rule flags in 0002.sql, checked after `base` as 0001.sql. */
const linesAfter = (base: string) => async (sql: string) =>
  (await checkMigrations({ "migrations/0001.sql": base, "migrations/0002.sql": sql })).findings
    .filter((f) => f.rule === "d1/mixed-expand-contract")
    .map((f) => f.line);

describe("d1/mixed-expand-contract", () => {
  it("flags a file that adds and drops, at the first contract change", async () => {
    const sql = "ALTER TABLE orders ADD COLUMN state TEXT;\nALTER TABLE orders DROP COLUMN status;";
    expect(await hitsAfterBase("d1/mixed-expand-contract", sql)).toEqual([
      "d1/mixed-expand-contract@0002_change.sql:2",
    ]);
    const r = await checkMigrations({ "migrations/0001.sql": BASE_MIGRATION, "migrations/0002.sql": sql });
    expect(r.migrations.map((m) => m.class)).toEqual(["expand", "mixed"]);
  });
  it("does not count a scratch column the file adds and drops again as either half", async () => {
    const sql =
      "ALTER TABLE orders ADD COLUMN _total_bak INTEGER;\nUPDATE orders SET _total_bak = total;\nALTER TABLE orders DROP COLUMN _total_bak;\nCREATE INDEX ix_status ON orders (status);";
    expect(await hitsAfterBase("d1/mixed-expand-contract", sql)).toEqual([]);
  });

  it("does not count a table dropped and created again with every column it had as a step; does when one goes", async () => {
    const NOTES = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, order_id INTEGER NOT NULL);";
    const recreate = (table: string) =>
      linesAfter(`${BASE_MIGRATION}\n${NOTES}`)(
        `DROP TABLE notes;\n${table}\nCREATE INDEX ix_notes_order ON notes (order_id);`,
      );
    // Same columns, a relaxed NOT NULL and a new optional column: the running version's queries and inserts work.
    expect(
      await recreate(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, order_id INTEGER, seen INTEGER NOT NULL DEFAULT 0);",
      ),
    ).toEqual([]);
    // A column gone, or a new NOT NULL column without a default that the running version's inserts leave out.
    expect(await recreate("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);")).toEqual([1]);
    expect(
      await recreate(
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL, order_id INTEGER, kind TEXT NOT NULL);",
      ),
    ).toEqual([1]);
  });

  it("does not flag pure expand or pure contract files", async () => {
    const fkColumn =
      "CREATE TABLE customers (id INTEGER PRIMARY KEY);\nALTER TABLE orders ADD COLUMN customer_id INTEGER REFERENCES customers (id);";
    expect(await hitsAfterBase("d1/mixed-expand-contract", fkColumn)).toEqual([]);
    expect(
      await hitsAfterBase(
        "d1/mixed-expand-contract",
        "ALTER TABLE orders ADD COLUMN a TEXT;\nCREATE INDEX ix ON orders (a);",
      ),
    ).toEqual([]);
    expect(
      await hitsAfterBase(
        "d1/mixed-expand-contract",
        "ALTER TABLE orders DROP COLUMN status;\nDROP TABLE order_items;",
      ),
    ).toEqual([]);
  });
  it("does not count a trigger or view dropped and created again in the file as a contract step", async () => {
    const base = `${BASE_MIGRATION}CREATE TRIGGER orders_ai AFTER INSERT ON orders BEGIN SELECT 1; END;\nCREATE VIEW open_orders AS SELECT * FROM orders;`;
    const run = linesAfter(base);
    const replace =
      "ALTER TABLE orders ADD COLUMN note TEXT;\nDROP TRIGGER orders_ai;\nCREATE TRIGGER orders_ai AFTER INSERT ON orders BEGIN SELECT 2; END;\nDROP VIEW open_orders;\nCREATE VIEW open_orders AS SELECT id FROM orders;";
    expect(await run(replace)).toEqual([]);
    // Dropped for good, next to an expand step, it is still a contract.
    expect(await run("ALTER TABLE orders ADD COLUMN note TEXT;\nDROP TRIGGER orders_ai;")).toEqual([2]);
  });
  it("does not count the trigger and view a rebuild puts back as expand steps", async () => {
    const base = `${BASE_MIGRATION}CREATE TRIGGER orders_ai AFTER INSERT ON orders BEGIN SELECT 1; END;\nCREATE VIEW open_orders AS SELECT * FROM orders;`;
    const run = linesAfter(base);
    const rebuild = `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, total INTEGER NOT NULL DEFAULT 0);
INSERT INTO orders_new (id, total) SELECT id, total FROM orders;
DROP VIEW open_orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
CREATE TRIGGER orders_ai AFTER INSERT ON orders BEGIN SELECT 1; END;
CREATE VIEW open_orders AS SELECT * FROM orders;`;
    expect(await run(rebuild)).toEqual([]);
    // A new table next to the same rebuild is an expand step.
    expect((await run(`${rebuild}\nCREATE TABLE order_notes (id INTEGER PRIMARY KEY);`)).length).toBe(1);
  });
  it("does not count dropping a table's own indexes before dropping it as expand (drizzle's DROP TABLE)", async () => {
    const base = `${BASE_MIGRATION}CREATE TABLE notes (id INTEGER PRIMARY KEY, at INTEGER);\nCREATE INDEX idx_notes_at ON notes (at);\nCREATE INDEX idx_orders_total ON orders (total);`;
    const run = linesAfter(base);
    expect(await run("DROP INDEX `idx_notes_at`;--> statement-breakpoint\nDROP TABLE `notes`;")).toEqual([]);
    // Dropping another table's index is still a relaxation (expand) next to the drop.
    expect(await run("DROP INDEX idx_orders_total;\nDROP TABLE notes;")).toEqual([2]);
  });
  it("does not count a child saved to a backup, dropped, created again and restored as a drop", async () => {
    const sql = `ALTER TABLE orders ADD COLUMN note TEXT;
CREATE TABLE order_items_backup (id INTEGER, order_id INTEGER, sku TEXT);
INSERT INTO order_items_backup (id, order_id, sku) SELECT id, order_id, sku FROM order_items;
DROP TABLE order_items;
CREATE TABLE order_items (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE, sku TEXT);
CREATE INDEX order_items_order ON order_items (order_id);
INSERT INTO order_items (id, order_id, sku) SELECT id, order_id, sku FROM order_items_backup;
DROP TABLE order_items_backup;`;
    expect(await hitsAfterBase("d1/mixed-expand-contract", sql)).toEqual([]);
    // Without the restore the re-created table starts empty: its rows are lost, which d1/drop-table reports. The
    // running version's queries still work on it, so the drop is no contract step and splitting the file saves nothing.
    const lost = sql.replace(/INSERT INTO order_items \(id[^;]*;/, "");
    expect(await hitsAfterBase("d1/mixed-expand-contract", lost)).toEqual([]);
    expect(await hitsAfterBase("d1/drop-table", lost)).toEqual(["d1/drop-table@0002_change.sql:4"]);
  });

  it("does not count the RENAME of a table the file just created as contract (a rebuild of a table made elsewhere)", async () => {
    const result = await checkMigrations({
      "migrations/0001_other.sql": "CREATE TABLE other (id INTEGER PRIMARY KEY);",
      "migrations/0002_rebuild.sql": `CREATE TABLE members_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
INSERT INTO members_new (id, name) SELECT id, name FROM members;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;`,
    });
    expect(result.findings.map((f) => f.rule)).toEqual(["d1/missing-base-schema"]);
  });
});

describe("d1/mixed-expand-contract: tables the same release created", () => {
  it("drops to info when every table the contract half touches came in the same commit, not an older one", async () => {
    const project = (commits: Record<string, string>[]) => {
      const dir = writeProject({ "wrangler.toml": TEST_WRANGLER });
      gitIn(dir, "init", "-q");
      commits.forEach((files, i) => {
        writeProject(files, dir);
        gitIn(dir, "add", "-A");
        gitIn(dir, "commit", "-q", "-m", `c${i}`);
      });
      return dir;
    };
    const notes = { "migrations/0002_notes.sql": "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);" };
    const mixed = {
      "migrations/0003_mixed.sql": "ALTER TABLE orders ADD COLUMN note TEXT;\nDROP TABLE notes;",
    };
    const severity = async (dir: string) =>
      (await runCheck(dir, { analyzers: [d1Analyzer] })).findings.find((f) => f.rule === "d1/mixed-expand-contract")
        ?.severity;
    const base = { "migrations/0001_base.sql": BASE_MIGRATION };
    expect(await severity(project([base, { ...notes, ...mixed }]))).toBe("info");
    expect(await severity(project([base, notes, mixed]))).toBe("error");
  });
});
