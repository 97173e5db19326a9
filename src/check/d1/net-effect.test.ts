import { describe, expect, it } from "vitest";
import { runCheck } from "../run-check.js";
import { d1Analyzer } from "./analyzer.js";
import { BASE_MIGRATION, checkMigrations, hits, hitsAfterBase, TEST_WRANGLER, writeProject } from "./testing.js";

/** Issue 15, item 2: a migration is judged by its net effect, not statement by statement. */
describe("net effect of one migration file", () => {
  it("drop-and-recreate is data loss", async () => {
    const sql =
      "DROP TABLE order_items;\nCREATE TABLE order_items (id INTEGER PRIMARY KEY, order_id INTEGER, sku TEXT);";
    expect(await hitsAfterBase("d1/drop-table", sql)).toEqual(["d1/drop-table@0002_change.sql:1"]);
  });

  it("a child dropped in the same file is no cascade victim of its parent's rebuild", async () => {
    const rebuild = `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0);
INSERT INTO orders_new SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`;
    // Child dropped before the rebuild, and after it: either way its rows go with the DROP of the child itself.
    expect(await hitsAfterBase("d1/rebuild-cascade", `DROP TABLE order_items;\n${rebuild}`)).toEqual([]);
    expect(await hitsAfterBase("d1/rebuild-cascade", `${rebuild}\nDROP TABLE order_items;`)).toEqual([]);
    // The control: a child that stays is a victim.
    expect(await hitsAfterBase("d1/rebuild-cascade", rebuild)).toEqual(["d1/rebuild-cascade@0002_change.sql:3"]);
  });

  it("rename-then-re-add with the data copied back keeps the column", async () => {
    const sql = `ALTER TABLE orders RENAME COLUMN status TO state;
ALTER TABLE orders ADD COLUMN status TEXT;
UPDATE orders SET status = state;`;
    expect(await hitsAfterBase("d1/rename-column", sql)).toEqual([]);
    // Re-added but left empty: the running version reads NULL where it had values.
    const empty = "ALTER TABLE orders RENAME COLUMN status TO state;\nALTER TABLE orders ADD COLUMN status TEXT;";
    expect(await hitsAfterBase("d1/rename-column", empty)).toEqual(["d1/rename-column@0002_change.sql:1"]);
  });

  it("a unique index on a column added in the same file is expand", async () => {
    const r = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql":
        "ALTER TABLE orders ADD COLUMN ref TEXT;\nCREATE UNIQUE INDEX orders_ref ON orders (ref);",
    });
    expect(hits(r)).toEqual([]);
    expect(r.migrations.find((m) => m.file.endsWith("0002_change.sql"))?.class).toBe("expand");
  });

  it("an index dropped and re-created non-unique is expand", async () => {
    const r = await checkMigrations({
      "migrations/0001_base.sql": `${BASE_MIGRATION}CREATE UNIQUE INDEX orders_status ON orders (status);\n`,
      "migrations/0002_change.sql": "DROP INDEX orders_status;\nCREATE INDEX orders_status ON orders (status);",
    });
    expect(hits(r)).toEqual([]);
    expect(r.migrations.find((m) => m.file.endsWith("0002_change.sql"))?.class).toBe("expand");
  });

  it('"every row is lost" is not said of rows the same file copied elsewhere first', async () => {
    for (const copy of [
      "CREATE TABLE items_archive AS SELECT * FROM order_items;",
      "CREATE TABLE items_archive (id, order_id, sku);\nINSERT INTO items_archive SELECT * FROM order_items;",
    ]) {
      const r = await checkMigrations({
        "migrations/0001_base.sql": BASE_MIGRATION,
        "migrations/0002_change.sql": `${copy}\nDROP TABLE order_items;`,
      });
      const f = r.findings.find((x) => x.rule === "d1/drop-table");
      expect(f?.message).not.toContain("every row");
      expect(f?.message).toContain("copied");
    }
  });

  it('"the copy fails on NULL rows" is not said of rows the same file filled in', async () => {
    const sql = `UPDATE orders SET status = 'new' WHERE status IS NULL;
${`CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT NOT NULL DEFAULT 'new', total INTEGER NOT NULL DEFAULT 0);
INSERT INTO orders_new SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`}`;
    const r = await checkMigrations({ "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": sql });
    for (const f of r.findings) expect(f.message).not.toContain("fails on any row where it is NULL");
    // Without the backfill, it is said.
    const bare = sql.split("\n").slice(1).join("\n");
    const r2 = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql": bare,
    });
    expect(r2.findings.find((f) => f.rule === "d1/set-not-null")?.message).toContain(
      "fails on any row where it is NULL",
    );
  });
});

describe("the running version's queries, judged from the Worker code", () => {
  const worker = (code: string) => ({
    "src/index.ts": `export default { async fetch(_r: Request, env: { DB: D1Database }) { ${code} } };\n`,
  });
  const find = async (files: Record<string, string>, rule: string) =>
    (await checkMigrations({ "migrations/0001_base.sql": BASE_MIGRATION, ...files })).findings.find(
      (f) => f.rule === rule,
    );

  it("says the queries fail only when the code names the column or table", async () => {
    const drop = { "migrations/0002_change.sql": "ALTER TABLE orders DROP COLUMN status;" };
    const named = await find(
      { ...drop, ...worker('return env.DB.prepare("SELECT status FROM orders").all();') },
      "d1/drop-column",
    );
    expect(named?.severity).toBe("error");
    expect(named?.message).toContain(
      "the code about to be deployed names status, so the version running now likely does too, and its queries that name it fail",
    );
    expect(named?.message).toContain("--base <git ref>");
    const unnamed = await find(
      { ...drop, ...worker('return env.DB.prepare("SELECT id FROM orders").all();') },
      "d1/drop-column",
    );
    expect(unnamed?.severity).toBe("warning");
    expect(unnamed?.message).toContain("(wrangler.toml) does not name status");
    expect(unnamed?.message).not.toContain("queries that name it fail");
  });

  it("counts a column's name only in a file that also names its table", async () => {
    const drop = { "migrations/0002_change.sql": "ALTER TABLE orders DROP COLUMN status;" };
    const other = await find(
      { ...drop, ...worker('return env.DB.prepare("SELECT status FROM order_items").all();') },
      "d1/drop-column",
    );
    expect(other?.severity).toBe("warning");
    const same = await find(
      { ...drop, ...worker('return env.DB.prepare("SELECT status FROM orders").all();') },
      "d1/drop-column",
    );
    expect(same?.severity).toBe("error");
  });

  it("a rename of a table no code names is info; a missing main keeps the old claim", async () => {
    const rename = { "migrations/0002_change.sql": "ALTER TABLE order_items RENAME TO line_items;" };
    expect((await find({ ...rename, ...worker("return new Response();") }, "d1/rename-table"))?.severity).toBe("info");
    const r = await runCheck(
      writeProject(
        { "migrations/0001_base.sql": BASE_MIGRATION, ...rename },
        TEST_WRANGLER.replace('main = "src/index.ts"', 'main = "dist/index.js"'),
      ),
      { analyzers: [d1Analyzer] },
    );
    const f = r.findings.find((x) => x.rule === "d1/rename-table");
    expect(f?.severity).toBe("error");
    expect(f?.message).toContain("if the version running now names order_items, its queries on order_items fail");
  });

  it("a rename keeps its claim when the code (the version being deployed) names the NEW name", async () => {
    const tables = {
      "migrations/0002_change.sql": "ALTER TABLE order_items RENAME TO line_items;",
      ...worker('return env.DB.prepare("SELECT id FROM line_items").all();'),
    };
    expect((await find(tables, "d1/rename-table"))?.severity).toBe("error");
    const columns = {
      "migrations/0002_change.sql": "ALTER TABLE orders RENAME COLUMN status TO state;",
      ...worker('return env.DB.prepare("SELECT state FROM orders").all();'),
    };
    const f = await find(columns, "d1/rename-column");
    expect([f?.severity, f?.message]).toEqual([
      "error",
      expect.stringContaining(
        "names state, so the version running now likely still names status, and its queries on status fail",
      ),
    ]);
  });
});

describe("false-alarm shapes from real projects", () => {
  it("widening a unique key (drop the old, add a superset) is expand and cannot fail", async () => {
    const r = await checkMigrations({
      "migrations/0001_base.sql":
        "CREATE TABLE e (id INTEGER PRIMARY KEY, coll TEXT, slug TEXT);\nCREATE UNIQUE INDEX e_coll_slug_unique ON e (coll, slug);",
      "migrations/0002_locale.sql": `ALTER TABLE e ADD locale text DEFAULT 'en' NOT NULL;
DROP INDEX IF EXISTS e_coll_slug_unique;
CREATE UNIQUE INDEX e_coll_slug_locale_unique ON e (coll, slug, locale);`,
    });
    expect(hits(r)).toEqual([]);
    expect(r.migrations.find((m) => m.file.endsWith("0002_locale.sql"))?.class).toBe("expand");
  });

  it("a partial unique index over rows the same file deleted first cannot fail", async () => {
    const base = "CREATE TABLE inv (id INTEGER PRIMARY KEY, teamId TEXT, email TEXT, acceptedAt TEXT);";
    const index = "CREATE UNIQUE INDEX inv_pending ON inv (teamId, email) WHERE acceptedAt IS NULL;";
    const deleted = await checkMigrations({
      "migrations/0001_base.sql": base,
      "migrations/0002_pending.sql": `DELETE FROM inv WHERE acceptedAt IS NULL;\n${index}`,
    });
    expect(hits(deleted, "d1/add-unique")).toEqual([]);
    const kept = await checkMigrations({ "migrations/0001_base.sql": base, "migrations/0002_pending.sql": index });
    expect(hits(kept, "d1/add-unique")).toEqual(["d1/add-unique@0002_pending.sql:1"]);
  });

  it("a parent dropped before its child in one file does not list the child as a cascade victim", async () => {
    const r = await checkMigrations({
      "migrations/0001_base.sql":
        "CREATE TABLE `group` (id INTEGER PRIMARY KEY);\nCREATE TABLE users_groups (group_id INTEGER REFERENCES `group` (id) ON DELETE CASCADE);",
      "migrations/0002_drop.sql": "DROP TABLE `group`;\nDROP TABLE users_groups;",
    });
    expect(hits(r, "d1/rebuild-cascade")).toEqual([]);
    expect(hits(r, "d1/drop-table")).toEqual(["d1/drop-table@0002_drop.sql:1", "d1/drop-table@0002_drop.sql:2"]);
  });
  it("a child saved, dropped, created again and restored around its parent's rebuild keeps its rows", async () => {
    const base = `CREATE TABLE articles (id TEXT PRIMARY KEY, category_id TEXT, status TEXT);
CREATE TABLE article_translations (id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE, title TEXT);`;
    const sql = `CREATE TABLE \`__tmp_article_translations\` AS SELECT * FROM \`article_translations\`;
DROP TABLE \`article_translations\`;
CREATE TABLE \`__new_articles\` (id TEXT PRIMARY KEY, category_id TEXT REFERENCES categories (id), status TEXT);
INSERT INTO \`__new_articles\`("id", "category_id", "status") SELECT "id", NULL, "status" FROM \`articles\`;
DROP TABLE \`articles\`;
ALTER TABLE \`__new_articles\` RENAME TO \`articles\`;
CREATE TABLE \`article_translations\` (id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles (id) ON DELETE CASCADE, title TEXT);
INSERT INTO \`article_translations\` SELECT * FROM \`__tmp_article_translations\`;
DROP TABLE \`__tmp_article_translations\`;`;
    const r = await checkMigrations({
      "migrations/0001.sql": `CREATE TABLE categories (id TEXT PRIMARY KEY);\n${base}`,
      "migrations/0002.sql": sql,
    });
    const at = (rule: string) => r.findings.filter((f) => f.rule === rule).map((f) => [f.line, f.severity]);
    expect(at("d1/drop-table")).toEqual([[2, "info"]]);
    expect(at("d1/large-data-change")).toEqual([]);
    // The rebuild copies NULL where articles.category_id had values: they are lost.
    const wiped = r.findings.find((f) => f.rule === "d1/drop-column");
    expect([wiped?.line, wiped?.message]).toEqual([
      4,
      expect.stringContaining("the rebuild of articles copies NULL into category_id instead of its values"),
    ]);
    // Without the restore, the re-created table starts empty.
    const lost = await checkMigrations({
      "migrations/0001.sql": `CREATE TABLE categories (id TEXT PRIMARY KEY);\n${base}`,
      "migrations/0002.sql": sql.replace(/INSERT INTO `article_translations`[^;]*;/, ""),
    });
    expect(lost.findings.filter((f) => f.rule === "d1/drop-table").map((f) => f.severity)).toEqual(["warning"]);
  });

  it("a rebuild that copies every column, or a literal into a new column, wipes nothing", async () => {
    const sql = `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, channel TEXT);
INSERT INTO orders_new (id, status, total, channel) SELECT id, status, total, 'web' FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`;
    expect(await hitsAfterBase("d1/drop-column", sql)).toEqual([]);
    const positional = sql.replace(
      "(id, status, total, channel) SELECT id, status, total, 'web'",
      "SELECT id, 'x', total, 'web'",
    );
    expect(await hitsAfterBase("d1/drop-column", positional)).toEqual(["d1/drop-column@0002_change.sql:2"]);
  });
});
