import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

describe("d1/drop-column", () => {
  it("flags ALTER TABLE … DROP COLUMN", async () => {
    expect(await hitsAfterBase("d1/drop-column", "\nALTER TABLE orders DROP COLUMN status;")).toEqual([
      "d1/drop-column@0002_change.sql:2",
    ]);
  });
  it("flags DROP COLUMN on a table made outside the migrations: production has its rows, the replay cannot run it", async () => {
    const r = await checkMigrations({
      "migrations/0001_users.sql": "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY);",
      "migrations/0002_drop.sql": "-- posts comes from schema.sql\nALTER TABLE posts DROP COLUMN is_own_car;",
    });
    const found = r.findings.filter((f) => f.rule === "d1/drop-column");
    expect(found.map((f) => [f.line, f.severity, f.data?.column])).toEqual([[2, "warning", "is_own_car"]]);
    expect(found[0]?.message).toContain("drops column posts.is_own_car of a table made outside the migrations");
    // Adding a column there is no contract step.
    const add = await checkMigrations({ "migrations/0001_add.sql": "ALTER TABLE posts ADD COLUMN video_url TEXT;" });
    expect(add.findings.filter((f) => f.rule === "d1/drop-column")).toEqual([]);
  });
  it("says the values are lost, not that queries fail, when the file adds the column again", async () => {
    const sql =
      "ALTER TABLE orders DROP COLUMN status;\n-- make it optional\nALTER TABLE orders ADD COLUMN status TEXT DEFAULT 'new';";
    const r = await checkMigrations({ "migrations/0001.sql": BASE_MIGRATION, "migrations/0002.sql": sql });
    const found = r.findings.filter((f) => f.rule === "d1/drop-column");
    expect(found.map((f) => [f.line, f.severity])).toEqual([[1, "error"]]);
    expect(found[0]?.message).toContain("adds it again at line 3");
    expect(found[0]?.message).toContain("gets 'new' instead");
    expect(found[0]?.fix).toContain("RENAME COLUMN status TO status_old");
    expect(r.findings.filter((f) => f.rule === "d1/mixed-expand-contract")).toEqual([]);
  });
  it("flags a rebuild that leaves a column out", async () => {
    const sql = rebuildOrders("id INTEGER PRIMARY KEY, total INTEGER NOT NULL DEFAULT 0", "id, total");
    expect(await hitsAfterBase("d1/drop-column", sql)).toEqual(["d1/drop-column@0002_change.sql:1"]);
  });
  it("does not flag adding columns or dropping one of a table created in the file", async () => {
    expect(await hitsAfterBase("d1/drop-column", "ALTER TABLE orders ADD COLUMN note TEXT;")).toEqual([]);
    expect(await hitsAfterBase("d1/drop-column", "CREATE TABLE t (a, b);\nALTER TABLE t DROP COLUMN b;")).toEqual([]);
  });
  it("does not flag a scratch column the file adds and drops again; flags the real column it drops on the way", async () => {
    const sql = [
      "ALTER TABLE orders ADD COLUMN _status_bak TEXT;",
      "UPDATE orders SET _status_bak = status;",
      "ALTER TABLE orders DROP COLUMN status;",
      "ALTER TABLE orders ADD COLUMN status TEXT DEFAULT 'new';",
      "UPDATE orders SET status = COALESCE(_status_bak, 'new');",
      "ALTER TABLE orders DROP COLUMN _status_bak;",
    ].join("\n");
    expect(await hitsAfterBase("d1/drop-column", sql)).toEqual(["d1/drop-column@0002_change.sql:3"]);
  });
  it("is silenced by a blastwall-ignore with a reason", async () => {
    const sql =
      "-- blastwall-ignore d1/drop-column: v42 stopped reading status\nALTER TABLE orders DROP COLUMN status;";
    expect(await hitsAfterBase("d1/drop-column", sql)).toEqual([]);
  });

  it("says nothing when a rebuild carries the column's values into a new column the code does not name", async () => {
    const base = `CREATE TABLE cities (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE people (id INTEGER PRIMARY KEY, nick TEXT, city_id INTEGER REFERENCES cities (id));`;
    const rebuild = (columns: string, copy: string) => `CREATE TABLE people_new (${columns});
${copy}
DROP TABLE people;
ALTER TABLE people_new RENAME TO people;`;
    const run = async (sql: string, worker?: string) =>
      (
        await checkMigrations({
          "migrations/0001.sql": base,
          "migrations/0002.sql": sql,
          ...(worker ? { "src/index.ts": worker } : {}),
        })
      ).findings
        .filter((f) => f.rule === "d1/drop-column")
        .map((f) => `${f.severity}:${f.data?.column}`);
    const cols = "id INTEGER PRIMARY KEY, nick TEXT, city TEXT NOT NULL";
    // The dropped id is the join key that fills the new column.
    const joined = rebuild(
      cols,
      "INSERT INTO people_new (id, nick, city) SELECT p.id, p.nick, COALESCE(c.name, '') FROM people p LEFT JOIN cities c ON c.id = p.city_id;",
    );
    expect(await run(joined)).toEqual([]);
    // Read directly, converted, or through a subquery.
    expect(
      await run(
        rebuild(cols, "INSERT INTO people_new (id, nick, city) SELECT id, nick, CAST(city_id AS TEXT) FROM people;"),
      ),
    ).toEqual([]);
    expect(
      await run(
        rebuild(
          cols,
          "INSERT INTO people_new (id, nick, city) SELECT id, nick, (SELECT name FROM cities WHERE cities.id = people.city_id) FROM people;",
        ),
      ),
    ).toEqual([]);
    const must = [
      // The join is on another column, the new column does not read the joined table, the dropped column only
      // filters, or it goes into a column the table already had.
      rebuild(
        cols,
        "INSERT INTO people_new (id, nick, city) SELECT p.id, p.nick, COALESCE(c.name, '') FROM people p LEFT JOIN cities c ON c.id = p.id;",
      ),
      rebuild(
        cols,
        "INSERT INTO people_new (id, nick, city) SELECT p.id, c.name, '' FROM people p LEFT JOIN cities c ON c.id = p.city_id;",
      ),
      rebuild(
        cols,
        "INSERT INTO people_new (id, nick, city) SELECT id, nick, '' FROM people WHERE city_id IS NOT NULL;",
      ),
      rebuild(
        "id INTEGER PRIMARY KEY, nick TEXT",
        "INSERT INTO people_new (id, nick) SELECT id, COALESCE(nick, city_id) FROM people;",
      ),
    ];
    for (const sql of must) expect(await run(sql), sql).toEqual(["warning:city_id"]);
    // The code names the column: its queries fail whatever became of the values.
    const worker = `export default { fetch: (_r: Request, env: { DB: D1Database }) => env.DB.prepare("SELECT city_id FROM people").all() };\n`;
    expect(await run(joined, worker)).toEqual(["error:city_id"]);
  });
});
