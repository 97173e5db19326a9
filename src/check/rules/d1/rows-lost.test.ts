import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations } from "../../d1/testing.js";

const DUMP = `CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);
INSERT INTO d1_migrations (name) VALUES ('0001_base.sql');
${BASE_MIGRATION}
INSERT INTO orders (id, status) VALUES (1, 'cancelled'), (2, 'paid');
INSERT INTO order_items (order_id, sku) VALUES (1, 'a'), (1, 'b'), (2, 'c');`;

async function lost(sql: string) {
  const r = await checkMigrations(
    { "migrations/0001_base.sql": BASE_MIGRATION, "migrations/0002_change.sql": sql, "prod.sql": DUMP },
    "prod.sql",
  );
  return r.findings.filter((f) => f.rule === "d1/rows-lost");
}

describe("d1/rows-lost", () => {
  it("reports child rows a DELETE cascades to, with the count and the foreign key", async () => {
    const found = await lost("DELETE FROM orders WHERE status = 'cancelled';");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toContain(
      "2 rows of order_items deleted by order_items(order_id) → orders(id) ON DELETE CASCADE",
    );
    expect(found[0]?.data?.rowsLost).toBe(2);
  });
  it("catches INSERT OR REPLACE, which deletes the parent row first", async () => {
    const found = await lost("REPLACE INTO orders (id, status) VALUES (2, 'refunded');");
    expect(found[0]?.data?.rowsLost).toBe(1);
  });
  it("does not report deletes that cascade to nothing, or runs without --data", async () => {
    expect(await lost("DELETE FROM orders WHERE status = 'nope';")).toEqual([]);
    const r = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002.sql": "DELETE FROM orders WHERE id = 1;",
    });
    expect(r.findings.filter((f) => f.rule === "d1/rows-lost")).toEqual([]);
  });
});

describe("d1/rows-lost in rebuilds", () => {
  it("reports a rebuild whose copy keeps fewer rows than the table had", async () => {
    const sql = `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0);
INSERT INTO orders_new SELECT * FROM orders WHERE status = 'paid';
-- blastwall-ignore d1/rebuild-cascade: checked below
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`;
    const found = await lost(sql);
    expect(found.map((f) => [f.line, f.data?.rowsLost])).toEqual([[1, 1]]);
    expect(found[0]?.message).toContain("keeps 1 of its 2 rows");
  });
  it("does not report a rebuild that copies every row (either shape)", async () => {
    const renameAway = `ALTER TABLE orders RENAME TO orders_old;
CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, note TEXT);
INSERT INTO orders (id, status, total) SELECT id, status, total FROM orders_old;
-- blastwall-ignore d1/rebuild-cascade: children re-pointed at orders_old are restored separately
DROP TABLE orders_old;`;
    expect(await lost(renameAway)).toEqual([]);
  });
});

describe("d1/rows-lost without --data", () => {
  const rebuild = (
    filter: string,
  ) => `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0);
INSERT INTO orders_new SELECT id, status, total FROM orders ${filter};
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`;
  const lost = async (filter: string) =>
    (
      await checkMigrations({
        "migrations/0001_base.sql": BASE_MIGRATION,
        "migrations/0002_change.sql": rebuild(filter),
      })
    ).findings
      .filter((f) => f.rule === "d1/rows-lost")
      .map((f) => [f.line, f.severity, f.data?.filter]);

  it("warns when a rebuild's copy filters, groups or keeps one row per key", async () => {
    expect(await lost("WHERE status IS NOT NULL")).toEqual([[2, "warning", "WHERE"]]);
    expect(await lost("WHERE id IN (SELECT MIN(id) FROM orders GROUP BY status)")).toEqual([[2, "warning", "WHERE"]]);
  });

  it("does not warn for a copy of every row, or a WHERE that always holds (written so ON CONFLICT parses)", async () => {
    expect(await lost("")).toEqual([]);
    expect(await lost("WHERE 1=1 ON CONFLICT(id) DO NOTHING")).toEqual([]);
  });
});

describe("d1/rows-lost: INSERT OR IGNORE in a rebuild", () => {
  const copy = async (
    newTable: string,
    insert = "INSERT OR IGNORE INTO orders_new (id, status, total) SELECT id, status, total FROM orders;",
  ) =>
    (
      await checkMigrations({
        "migrations/0001_base.sql": BASE_MIGRATION,
        "migrations/0002_change.sql": `CREATE TABLE orders_new (${newTable});
${insert}
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`,
      })
    ).findings
      .filter((f) => f.rule === "d1/rows-lost")
      .map((f) => [f.line, f.data?.filter]);

  it("warns when the new table has a key, a NOT NULL or a CHECK the old rows may break", async () => {
    const ignored = [[2, "INSERT OR IGNORE"]];
    expect(await copy("id INTEGER PRIMARY KEY, status TEXT UNIQUE, total INTEGER NOT NULL DEFAULT 0")).toEqual(ignored);
    expect(await copy("id INTEGER PRIMARY KEY, status TEXT NOT NULL, total INTEGER NOT NULL DEFAULT 0")).toEqual(
      ignored,
    );
    expect(await copy("id INTEGER PRIMARY KEY, status TEXT CHECK (status <> ''), total INTEGER NOT NULL")).toEqual(
      ignored,
    );
    // The key comes from an expression, so two old rows may meet.
    expect(
      await copy(
        "id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0",
        "INSERT OR IGNORE INTO orders_new (id, status, total) SELECT id / 2, status, total FROM orders;",
      ),
    ).toEqual(ignored);
  });

  it("is quiet when the new table's keys, NOT NULLs and CHECKs all held on the old one", async () => {
    expect(await copy("id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, note TEXT")).toEqual([]);
    // SQLite numbers an INTEGER PRIMARY KEY the copy leaves out; a literal fills a NOT NULL column.
    expect(
      await copy(
        "id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL, kind TEXT NOT NULL",
        "INSERT OR IGNORE INTO orders_new (status, total, kind) SELECT status, total, 'order' FROM orders;",
      ),
    ).toEqual([]);
    // A CASE that maps values outside the new CHECK to an allowed one meets it on every old row.
    expect(
      await copy(
        "id INTEGER PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('paid', 'other')), total INTEGER NOT NULL",
        "INSERT OR IGNORE INTO orders_new (id, status, total) SELECT id, CASE WHEN status IN ('paid') THEN status ELSE 'other' END, total FROM orders;",
      ),
    ).toEqual([]);
  });

  const rebuild = async (files: Record<string, string>) =>
    (await checkMigrations({ "migrations/0001_base.sql": BASE_MIGRATION, ...files })).findings
      .filter((f) => f.rule === "d1/rows-lost")
      .map((f) => [f.file, f.line]);
  const steps = (
    before: string,
    after: string,
  ) => `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0);
${before}INSERT OR IGNORE INTO orders_new (id, status, total) SELECT id, status, total FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;
${after}`;

  it("judges only rows written before the copy: seed rows after it cannot make it skip one", async () => {
    expect(
      await rebuild({ "migrations/0002_change.sql": steps("", "INSERT OR IGNORE INTO orders (id) VALUES (1);\n") }),
    ).toEqual([]);
    expect(
      await rebuild({ "migrations/0002_change.sql": steps("INSERT INTO orders_new (id) VALUES (1);\n", "") }),
    ).toEqual([["migrations/0002_change.sql", 3]]);
  });

  it("judges a copy whose foreign-key parent was made outside the migrations, as production runs it", async () => {
    // teams is not created by any migration (made by hand); the copy needs it only to look up keys.
    const base = "CREATE TABLE members (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams(id), role TEXT);";
    const change = `CREATE TABLE members_new (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams(id), role TEXT CHECK (role IN ('a', 'b')));
INSERT OR IGNORE INTO members_new (id, team_id, role) SELECT id, team_id, role FROM members;
DROP TABLE members;
ALTER TABLE members_new RENAME TO members;`;
    expect(await rebuild({ "migrations/0002_members.sql": base, "migrations/0003_check.sql": change })).toEqual([
      ["migrations/0003_check.sql", 2],
    ]);
    const keeps = change.replace(" CHECK (role IN ('a', 'b'))", "");
    expect(await rebuild({ "migrations/0002_members.sql": base, "migrations/0003_check.sql": keeps })).toEqual([]);
  });
});
