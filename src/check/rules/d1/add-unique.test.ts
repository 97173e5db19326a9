import { describe, expect, it } from "vitest";
import { checkMigrations, hits, hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

const POSTS = "CREATE TABLE posts (id TEXT PRIMARY KEY, slug TEXT NOT NULL, team_id TEXT, created_at INTEGER);";
const uniqueAfter = async (sql: string) =>
  (await checkMigrations({ "migrations/0001.sql": POSTS, "migrations/0002.sql": sql })).findings.filter(
    (f) => f.rule === "d1/add-unique",
  );

describe("d1/add-unique", () => {
  it("flags a unique index on an existing table", async () => {
    expect(await hitsAfterBase("d1/add-unique", "CREATE UNIQUE INDEX ux_items_sku ON order_items (sku);")).toEqual([
      "d1/add-unique@0002_change.sql:1",
    ]);
  });
  it("says nothing of a rebuild's UNIQUE column that its copy leaves NULL in every row, but flags one it fills", async () => {
    const rename = (copied: string) => `ALTER TABLE orders RENAME TO orders_old;
CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, phone TEXT UNIQUE);
INSERT INTO orders (${copied}) SELECT ${copied} FROM orders_old;
DROP TABLE orders_old;`;
    expect(await hitsAfterBase("d1/add-unique", rename("id, status, total"))).toEqual([]);
    const filled = rebuildOrders(
      "id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, phone TEXT UNIQUE",
      "id, status, total, status",
    );
    expect(await hitsAfterBase("d1/add-unique", filled)).toEqual(["d1/add-unique@0002_change.sql:1"]);
  });

  it("flags a UNIQUE constraint added by a rebuild", async () => {
    const sql = rebuildOrders("id INTEGER PRIMARY KEY, status TEXT UNIQUE, total INTEGER NOT NULL DEFAULT 0");
    expect(await hitsAfterBase("d1/add-unique", sql)).toEqual(["d1/add-unique@0002_change.sql:1"]);
  });
  it("does not flag plain indexes or unique indexes on new tables", async () => {
    expect(await hitsAfterBase("d1/add-unique", "CREATE INDEX ix_sku ON order_items (sku);")).toEqual([]);
    expect(await hitsAfterBase("d1/add-unique", "CREATE TABLE t (a);\nCREATE UNIQUE INDEX ux_a ON t (a);")).toEqual([]);
  });
  it("does not flag a unique index on a column added in the same file without a default (every row is NULL)", async () => {
    const sql = "ALTER TABLE orders ADD COLUMN ref TEXT;\nCREATE UNIQUE INDEX orders_ref ON orders (ref);";
    expect(await hitsAfterBase("d1/add-unique", sql)).toEqual([]);
    const withDefault =
      "ALTER TABLE orders ADD COLUMN ref TEXT DEFAULT 'x';\nCREATE UNIQUE INDEX orders_ref ON orders (ref);";
    expect(await hitsAfterBase("d1/add-unique", withDefault)).toEqual(["d1/add-unique@0002_change.sql:2"]);
  });
  it("is info after the same file de-duplicated exactly the index's columns (ROW_NUMBER … PARTITION BY)", async () => {
    const sql = `UPDATE posts SET slug = slug || '-' || substr(id, -6) WHERE id IN (
  SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY slug ORDER BY created_at) AS rn FROM posts) WHERE rn > 1
);
CREATE UNIQUE INDEX posts_slug ON posts (slug);`;
    const [f, ...rest] = await uniqueAfter(sql);
    expect(rest).toEqual([]);
    expect([f?.severity, f?.line, f?.data?.dedupedAt]).toEqual(["info", 4, 1]);
    expect(f?.message).toContain("after line 1 of this file de-duplicated posts on (slug)");
  });
  it("is info after a DELETE keeping one row per group, quoted and qualified however", async () => {
    const sql = `DELETE FROM "posts" WHERE rowid NOT IN (SELECT MIN(rowid) FROM \`posts\` GROUP BY "posts"."team_id", [slug]);
CREATE UNIQUE INDEX posts_team_slug ON posts (slug, team_id);`;
    expect((await uniqueAfter(sql)).map((f) => f.severity)).toEqual(["info"]);
  });
  it("stays a warning after a de-duplication it cannot match by columns: the running version's writes may still collide", async () => {
    // The DELETE makes the index succeed (large-data-change leaves it in place), but the version running now may
    // upsert on another key and write rows the new one rejects: that is the risk left to report.
    const coalesce = `DELETE FROM posts WHERE rowid NOT IN (SELECT MAX(rowid) FROM posts GROUP BY slug, COALESCE(team_id, ''));
CREATE UNIQUE INDEX posts_team_slug ON posts (slug, COALESCE(team_id, ''));`;
    expect((await uniqueAfter(coalesce)).map((f) => f.severity)).toEqual(["warning"]);
    const large = await checkMigrations({ "migrations/0001.sql": POSTS, "migrations/0002.sql": coalesce });
    expect(large.findings.filter((f) => f.rule === "d1/large-data-change")).toEqual([]);
  });
  it("still flags de-duplication over other columns, an expression, or an UPDATE that rewrites no key column", async () => {
    const other = `DELETE FROM posts WHERE rowid NOT IN (SELECT MIN(rowid) FROM posts GROUP BY team_id);
CREATE UNIQUE INDEX posts_slug ON posts (slug);`;
    const wider = `DELETE FROM posts WHERE rowid NOT IN (SELECT MIN(rowid) FROM posts GROUP BY slug, team_id);
CREATE UNIQUE INDEX posts_slug ON posts (slug);`;
    const expr = `DELETE FROM posts WHERE rowid NOT IN (SELECT MIN(rowid) FROM posts GROUP BY lower(slug));
CREATE UNIQUE INDEX posts_slug ON posts (slug);`;
    const nulls = `DELETE FROM posts WHERE rowid NOT IN (SELECT MAX(rowid) FROM posts GROUP BY slug, team_id);
CREATE UNIQUE INDEX posts_team_slug ON posts (slug, COALESCE(team_id, ''));`;
    const noKey = `UPDATE posts SET created_at = 0 WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY slug) AS rn FROM posts) WHERE rn > 1);
CREATE UNIQUE INDEX posts_slug ON posts (slug);`;
    const later = `CREATE UNIQUE INDEX posts_slug ON posts (slug);
DELETE FROM posts WHERE rowid NOT IN (SELECT MIN(rowid) FROM posts GROUP BY slug);`;
    for (const sql of [other, wider, expr, nulls, noKey, later])
      expect(
        (await uniqueAfter(sql)).map((f) => f.severity),
        sql,
      ).toEqual(["warning"]);
  });
  it("does not flag a partial unique index over rows the file deleted, however the WHERE is quoted or qualified", async () => {
    const base = "CREATE TABLE inv (id TEXT PRIMARY KEY, teamId TEXT, email TEXT, acceptedAt INTEGER);";
    const run = async (sql: string) =>
      (await checkMigrations({ "migrations/0001.sql": base, "migrations/0002.sql": sql })).findings.filter(
        (f) => f.rule === "d1/add-unique",
      );
    const drizzle = `DELETE FROM \`inv\` WHERE \`acceptedAt\` IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX \`inv_team_email\` ON \`inv\` (\`teamId\`,\`email\`) WHERE "inv"."acceptedAt" IS NULL;`;
    expect(await run(drizzle)).toEqual([]);
    expect(await run(drizzle.replace('"inv"."acceptedAt" IS NULL', "[acceptedAt]   is   null"))).toEqual([]);
    // Another condition, or a DELETE that keeps some of those rows, leaves rows in the index.
    expect(await run(drizzle.replace('"inv"."acceptedAt" IS NULL', '"inv"."acceptedAt" IS NOT NULL'))).toHaveLength(1);
    expect(await run(drizzle.replace("IS NULL;--", "IS NULL AND teamId = 'a';--"))).toHaveLength(1);
  });
  it("is info when the rebuild's copy numbers one key column with ROW_NUMBER() OVER (PARTITION BY the others)", async () => {
    const base = "CREATE TABLE steps (id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, created_at INTEGER);";
    const sql = `CREATE TABLE __new_steps (id TEXT PRIMARY KEY, plan_id TEXT NOT NULL, position INTEGER NOT NULL, created_at INTEGER, UNIQUE (plan_id, position));
INSERT INTO __new_steps (id, plan_id, position, created_at) SELECT id, plan_id, ROW_NUMBER() OVER (PARTITION BY plan_id ORDER BY created_at), created_at FROM steps;
DROP TABLE steps;
ALTER TABLE __new_steps RENAME TO steps;`;
    const run = async (text: string) =>
      (await checkMigrations({ "migrations/0001.sql": base, "migrations/0002.sql": text })).findings
        .filter((f) => f.rule === "d1/add-unique")
        .map((f) => f.severity);
    expect(await run(sql)).toEqual(["info"]);
    // RANK() ties, and a partition over other columns, do not make the key distinct.
    expect(await run(sql.replace("ROW_NUMBER()", "RANK()"))).toEqual(["warning"]);
    expect(await run(sql.replace("PARTITION BY plan_id", "PARTITION BY created_at"))).toEqual(["warning"]);
  });
  it("does not flag a partial unique index as strict as the one the file replaces, but does a looser one", async () => {
    const base = `${POSTS}\nCREATE UNIQUE INDEX ux_pending ON posts (team_id, slug) WHERE created_at IS NULL;`;
    const run = async (sql: string) =>
      (await checkMigrations({ "migrations/0001.sql": base, "migrations/0002.sql": sql })).findings
        .filter((f) => f.rule === "d1/add-unique" || f.rule === "d1/mixed-expand-contract")
        .map((f) => `${f.rule}:${f.line}`);
    const narrower =
      'ALTER TABLE posts ADD COLUMN event_id TEXT;\nDROP INDEX ux_pending;\nCREATE UNIQUE INDEX ux_pending_legacy ON posts (team_id, slug) WHERE "created_at" is null AND event_id IS NULL;';
    expect(await run(narrower)).toEqual([]);
    // Over rows the old index did not cover (any created_at): duplicates may exist.
    const looser =
      "DROP INDEX ux_pending;\nCREATE UNIQUE INDEX ux_any ON posts (team_id, slug) WHERE slug IS NOT NULL;";
    expect(await run(looser)).toContain("d1/add-unique:2");
  });
  it("flags a unique index on a table made outside the migrations (it holds production rows)", async () => {
    const r = await checkMigrations({
      "migrations/0001_runs.sql": "CREATE TABLE runs (id TEXT PRIMARY KEY);",
      "migrations/0002_one_active.sql": `CREATE UNIQUE INDEX IF NOT EXISTS idx_stops_one_active
ON stops(delivery_day_id)
WHERE status IN ('en_route', 'arrived');
CREATE INDEX idx_stops_day ON stops (delivery_day_id);`,
    });
    const f = r.findings.filter((x) => x.rule === "d1/add-unique");
    expect(f.map((x) => [x.line, x.severity])).toEqual([[1, "warning"]]);
    expect(f[0]?.message).toContain(
      "adds a unique index on stops(delivery_day_id), a table made outside the migrations",
    );
    expect(f[0]?.fix).toContain("GROUP BY delivery_day_id HAVING count(*) > 1");
  });

  it("says nothing of a unique index on a column the file adds to a table made outside the migrations", async () => {
    const r = await checkMigrations({
      "migrations/0001_runs.sql": "CREATE TABLE runs (id TEXT PRIMARY KEY);",
      "migrations/0002_handle.sql":
        "ALTER TABLE users ADD COLUMN public_handle TEXT;\nCREATE UNIQUE INDEX idx_users_handle ON users(public_handle);",
    });
    expect(r.findings.filter((x) => x.rule === "d1/add-unique")).toEqual([]);
  });

  it("says nothing of a partial unique index whose WHERE excludes the DEFAULT of a column the file adds", async () => {
    const sql = (
      where: string,
      extra = "",
    ) => `ALTER TABLE orders ADD COLUMN visibility TEXT NOT NULL DEFAULT 'private';
${extra}CREATE UNIQUE INDEX orders_public_status ON orders (status) WHERE ${where};`;
    const judged = ["d1/add-unique", "d1/mixed-expand-contract"];
    const both = async (s: string) =>
      (await Promise.all(judged.map((r) => hitsAfterBase(r, s)))).flat().map((h) => h.split("@")[0]);
    expect(await both(sql(`"orders"."visibility" = 'public' AND total IS NOT NULL`))).toEqual([]);
    // Existing rows hold 'private', which this index selects; or the file moves rows to 'public' first.
    expect(await both(sql("visibility = 'private'"))).toEqual(judged);
    expect(
      await both(sql("visibility = 'public'", "UPDATE orders SET visibility = 'public' WHERE total > 0;\n")),
    ).toContain("d1/add-unique");
    // A column that existed before: its rows can hold 'public' already.
    expect(await both("CREATE UNIQUE INDEX o ON orders (total) WHERE status = 'public';")).toEqual(["d1/add-unique"]);
  });

  it("says nothing of a partial unique index WHERE a column the file adds without a default IS NOT NULL", async () => {
    const judged = ["d1/add-unique", "d1/mixed-expand-contract"];
    const both = async (s: string) =>
      (await Promise.all(judged.map((r) => hitsAfterBase(r, s)))).flat().map((h) => h.split("@")[0]);
    const add = "ALTER TABLE orders ADD COLUMN external_ref TEXT;\n";
    for (const where of [
      "external_ref IS NOT NULL",
      '"orders".external_ref NOTNULL',
      "external_ref NOT NULL AND total > 0",
    ])
      expect(await both(`${add}CREATE UNIQUE INDEX o_ref ON orders (status, external_ref) WHERE ${where};`)).toEqual(
        [],
      );
    // Filled in by the same file, or given a default: existing rows are in the index.
    expect(
      await both(
        `${add}UPDATE orders SET external_ref = 'o-' || id;\nCREATE UNIQUE INDEX o_ref ON orders (status) WHERE external_ref IS NOT NULL;`,
      ),
    ).toContain("d1/add-unique");
    expect(
      await both(
        "ALTER TABLE orders ADD COLUMN external_ref TEXT DEFAULT 'none';\nCREATE UNIQUE INDEX o_ref ON orders (status) WHERE external_ref IS NOT NULL;",
      ),
    ).toContain("d1/add-unique");
    // An old column: its rows can hold values already.
    expect(await both("CREATE UNIQUE INDEX o ON orders (total) WHERE status IS NOT NULL;")).toEqual(["d1/add-unique"]);
  });

  it("says nothing of a partial unique index on a value the rebuild's copy gave no existing row", async () => {
    const sql = (copied: string) => `ALTER TABLE orders RENAME TO orders_legacy;
CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0,
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('lead', 'member')));
INSERT INTO orders (id, status, total, role) SELECT id, status, total, ${copied} FROM orders_legacy;
DROP TABLE orders_legacy;
CREATE UNIQUE INDEX orders_one_lead ON orders (status) WHERE role = 'lead';`;
    expect(await hitsAfterBase("d1/add-unique", sql("'member'"))).toEqual([]);
    expect(await hitsAfterBase("d1/add-unique", sql("'lead'"))).toEqual(["d1/add-unique@0002_change.sql:1"]);
  });

  it("says nothing of a rebuild's key copied from the old table's PRIMARY KEY (unique by construction)", async () => {
    const base = "CREATE TABLE rl (key TEXT PRIMARY KEY NOT NULL, count INTEGER NOT NULL);";
    const rebuild = (table: string, copy: string, extra = "") => `CREATE TABLE rl_next (${table});
${copy}
DROP TABLE rl;
ALTER TABLE rl_next RENAME TO rl;
${extra}`;
    const run = async (sql: string) =>
      (await checkMigrations({ "migrations/0001.sql": base, "migrations/0002.sql": sql })).findings
        .filter((f) => f.rule === "d1/add-unique")
        .map((f) => f.severity);
    const table = "id TEXT PRIMARY KEY NOT NULL, key TEXT NOT NULL UNIQUE, count INTEGER NOT NULL";
    expect(await run(rebuild(table, "INSERT INTO rl_next (id, key, count) SELECT key, key, count FROM rl;"))).toEqual(
      [],
    );
    expect(
      await run(
        rebuild(
          table,
          'INSERT INTO "rl_next" (id, key, count) SELECT r.key, r.key, r.count FROM rl AS r WHERE r.count > 0;',
        ),
      ),
    ).toEqual([]);
    // The rowid is a key too, in a column of any affinity.
    expect(await run(rebuild(table, "INSERT INTO rl_next (id, key, count) SELECT rowid, key, count FROM rl;"))).toEqual(
      [],
    );
    // Copied from a column that was not a key, joined rows, a second write, or another affinity: it can fail.
    const must = [
      rebuild(
        "id INTEGER PRIMARY KEY, key TEXT, count INTEGER UNIQUE",
        "INSERT INTO rl_next (id, key, count) SELECT NULL, key, count FROM rl;",
      ),
      rebuild(
        table,
        "INSERT INTO rl_next (id, key, count) SELECT rl.key, rl.key, rl.count FROM rl JOIN rl AS b ON b.count = rl.count;",
      ),
      rebuild(
        table,
        "INSERT INTO rl_next (id, key, count) SELECT key, key, count FROM rl;",
        "INSERT INTO rl (id, key, count) SELECT 'x' || key, key, 0 FROM rl;",
      ),
      // '01' and '1' are distinct TEXT keys and the same INTEGER.
      rebuild(
        "id INTEGER NOT NULL UNIQUE, key TEXT NOT NULL UNIQUE, count INTEGER NOT NULL",
        "INSERT INTO rl_next (id, key, count) SELECT key, key, count FROM rl;",
      ),
      rebuild(
        "id TEXT PRIMARY KEY COLLATE NOCASE, key TEXT NOT NULL UNIQUE, count INTEGER NOT NULL",
        "INSERT INTO rl_next (id, key, count) SELECT key, key, count FROM rl;",
      ),
    ];
    for (const sql of must) expect(await run(sql), sql).toEqual(["warning"]);
  });

  it("says nothing of a unique index on a table the same file emptied first, and flags it once rows come back", async () => {
    expect(
      await hitsAfterBase("d1/add-unique", "DELETE FROM order_items;\nCREATE UNIQUE INDEX u_sku ON order_items (sku);"),
    ).toEqual([]);
    const rebuild = `DELETE FROM orders;
CREATE TABLE orders_next (id INTEGER PRIMARY KEY, status TEXT NOT NULL, total INTEGER NOT NULL DEFAULT 0, UNIQUE (status, total));
INSERT INTO orders_next SELECT id, coalesce(status, ''), total FROM orders;
DROP TABLE orders;
ALTER TABLE orders_next RENAME TO orders;`;
    expect(await hitsAfterBase("d1/add-unique", rebuild)).toEqual([]);
    // A DELETE with a WHERE, rows written back after the DELETE, or a copy from a table that still has rows.
    const must = [
      "DELETE FROM order_items WHERE sku IS NULL;\nCREATE UNIQUE INDEX u_sku ON order_items (sku);",
      "DELETE FROM order_items;\nINSERT INTO order_items (order_id, sku) SELECT id, status FROM orders;\nCREATE UNIQUE INDEX u_sku ON order_items (sku);",
      "DELETE FROM orders;\nINSERT INTO orders (status) VALUES ('new');\nCREATE UNIQUE INDEX u_status ON orders (status);",
      rebuild.replace("DELETE FROM orders;", "DELETE FROM order_items;"),
      // Emptied, but the key holds a column added here with a DEFAULT: the running version's second insert fails.
      "DELETE FROM orders;\nALTER TABLE orders ADD COLUMN handle TEXT NOT NULL DEFAULT '';\nCREATE UNIQUE INDEX u_handle ON orders (handle);",
    ];
    for (const sql of must) expect(await hitsAfterBase("d1/add-unique", sql), sql).toHaveLength(1);
  });

  it("still flags a unique index after a rebuild of a table made outside the migrations (its copy has rows there)", async () => {
    const sql = `CREATE TABLE __new_users (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL);
INSERT INTO __new_users (id, email) SELECT id, email FROM users;
DROP TABLE users;
ALTER TABLE __new_users RENAME TO users;
CREATE UNIQUE INDEX users_email_unique ON users (email);`;
    const r = await checkMigrations({
      "migrations/0001.sql": "CREATE TABLE runs (id TEXT PRIMARY KEY);",
      "migrations/0002.sql": sql,
    });
    expect(r.findings.filter((f) => f.rule === "d1/add-unique").map((f) => [f.line, f.severity])).toEqual([
      [5, "warning"],
    ]);
  });

  it("says nothing of a RENAME COLUMN: the column's UNIQUE constraint or index follows it, nothing new is unique", async () => {
    const base =
      "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, handle TEXT, bio TEXT);\nCREATE UNIQUE INDEX users_handle ON users (handle) WHERE handle IS NOT NULL;";
    const run = async (sql: string) =>
      (await checkMigrations({ "migrations/0001.sql": base, "migrations/0002.sql": sql })).findings
        .filter((f) => ["d1/add-unique", "d1/rename-column", "d1/mixed-expand-contract"].includes(f.rule))
        .map((f) => `${f.rule}:${f.line}`);
    // The rename itself is still reported (a contract, not mixed); only the "new" unique index is not.
    expect(await run("ALTER TABLE users RENAME COLUMN email TO email_hash;")).toEqual(["d1/rename-column:1"]);
    expect(await run('ALTER TABLE "users" RENAME "handle" TO "nick";')).toEqual(["d1/rename-column:1"]);
    // A unique index the same file adds on the renamed column is new, and so is one on a column that had none.
    expect(
      await run("ALTER TABLE users RENAME COLUMN bio TO about;\nCREATE UNIQUE INDEX users_about ON users (about);"),
    ).toEqual(["d1/rename-column:1", "d1/add-unique:2"]);
    expect(
      await run(
        "ALTER TABLE users RENAME COLUMN email TO email_hash;\nCREATE UNIQUE INDEX users_pair ON users (bio, handle);",
      ),
    ).toEqual(["d1/rename-column:1", "d1/add-unique:2"]);
  });

  it("says nothing of a rebuild's key on the old table's PRIMARY KEY, a rowid alias with no index of its own", async () => {
    const run = async (base: string, key: string) => {
      const sql = `CREATE TABLE __new_teams (${key});
INSERT INTO __new_teams (id, name) SELECT id, name FROM teams;
DROP TABLE teams;
ALTER TABLE __new_teams RENAME TO teams;`;
      return (await checkMigrations({ "migrations/0001.sql": base, "migrations/0002.sql": sql })).findings
        .filter((f) => f.rule === "d1/add-unique")
        .map((f) => f.message.replace(/;.*/, ""));
    };
    for (const base of [
      "CREATE TABLE teams (id integer PRIMARY KEY NOT NULL, name text NOT NULL);",
      "CREATE TABLE teams (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, name TEXT);",
      "CREATE TABLE teams (name TEXT, id INTEGER, PRIMARY KEY (id));",
    ]) {
      expect(await run(base, "id text PRIMARY KEY NOT NULL, name text NOT NULL"), base).toEqual([]);
      // A wider key holds too.
      expect(await run(base, "id TEXT NOT NULL, name TEXT, UNIQUE (name, id)"), base).toEqual([]);
      // A key on another column is new.
      expect(await run(base, "id TEXT PRIMARY KEY NOT NULL, name TEXT UNIQUE"), base).toEqual([
        "adds a unique constraint on teams(name)",
      ]);
    }
    // An id that was no key before is a new key.
    expect(
      await run("CREATE TABLE teams (id INTEGER, name TEXT PRIMARY KEY);", "id TEXT PRIMARY KEY, name TEXT"),
    ).toEqual(["adds a unique constraint on teams(id)"]);
  });

  it("says nothing of a unique index that includes a column the file adds without a default (NULL rows are distinct)", async () => {
    const run = async (sql: string) => {
      const r = await checkMigrations({ "migrations/0001.sql": POSTS, "migrations/0002.sql": sql });
      const rules = ["d1/add-unique", "d1/mixed-expand-contract"];
      return {
        hits: r.findings.filter((f) => rules.includes(f.rule)).map((f) => `${f.rule}:${f.line}`),
        class: r.migrations[1]?.class,
      };
    };
    const safe = `ALTER TABLE posts ADD COLUMN season_id TEXT;
CREATE UNIQUE INDEX posts_team_season_slug ON posts (team_id, season_id, slug);`;
    expect(await run(safe)).toEqual({ hits: [], class: "expand" });
    expect(await run(safe.replace("season_id TEXT", "season_id TEXT DEFAULT NULL"))).toEqual({
      hits: [],
      class: "expand",
    });
    // A constant DEFAULT (every running insert repeats it), a backfill, rows the file inserts, or a generated
    // column: the new column holds values, so the key can collide.
    const must = [
      safe.replace("season_id TEXT", "season_id TEXT NOT NULL DEFAULT 'none'"),
      safe.replace("CREATE UNIQUE", "UPDATE posts SET season_id = 's1';\nCREATE UNIQUE"),
      safe.replace("CREATE UNIQUE", "INSERT INTO posts (id, slug, season_id) VALUES ('p', 'a', 's');\nCREATE UNIQUE"),
      safe.replace("season_id TEXT", "season_id TEXT AS (slug) VIRTUAL"),
      safe.replace("CREATE UNIQUE", "UPDATE posts SET (created_at, season_id) = (1, 's1');\nCREATE UNIQUE"),
    ];
    for (const sql of must) {
      const { hits } = await run(sql);
      expect(
        hits.filter((h) => h.startsWith("d1/add-unique")),
        sql,
      ).toHaveLength(1);
    }
  });

  it("does not flag a rebuild that widens an old UNIQUE key to a superset, but flags a key that is not one", async () => {
    const base = (key: string) => ({
      "migrations/0001_base.sql": `CREATE TABLE entries (id INTEGER PRIMARY KEY, s TEXT NOT NULL, d TEXT NOT NULL, UNIQUE (${key}));`,
    });
    const rebuild = (
      key: string,
    ) => `CREATE TABLE entries_new (id INTEGER PRIMARY KEY, s TEXT NOT NULL, d TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 1, UNIQUE (${key}));
INSERT INTO entries_new (id, s, d, n) SELECT id, s, d, 1 FROM entries;
DROP TABLE entries;
ALTER TABLE entries_new RENAME TO entries;`;
    expect(await hitsAfterBase("d1/add-unique", rebuild("s, d, n"), base("s, d"))).toEqual([]);
    expect(await hitsAfterBase("d1/add-unique", rebuild("d, n"), base("s, d"))).toEqual([
      "d1/add-unique@0002_change.sql:1",
    ]);
  });
});

describe("d1/add-unique: a key that holds a key the table already has", () => {
  it("does not flag a unique index whose columns hold an existing UNIQUE key, nor call it a contract step", async () => {
    const base = "CREATE TABLE env (id INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, note TEXT);";
    const r = await checkMigrations({
      "migrations/0001_base.sql": base,
      "migrations/0002_users.sql":
        "ALTER TABLE env ADD COLUMN user_id TEXT NOT NULL DEFAULT 'anonymous';\nCREATE UNIQUE INDEX env_user_name ON env (user_id, name);",
    });
    expect(hits(r).filter((h) => h.startsWith("d1/add-unique") || h.startsWith("d1/mixed-expand-contract"))).toEqual(
      [],
    );
    const narrower = await checkMigrations({
      "migrations/0001_base.sql": base,
      "migrations/0002_users.sql":
        "ALTER TABLE env ADD COLUMN user_id TEXT NOT NULL DEFAULT 'anonymous';\nCREATE UNIQUE INDEX env_user_note ON env (user_id, note);",
    });
    expect(hits(narrower, "d1/add-unique")).toEqual(["d1/add-unique@0002_users.sql:2"]);
  });
});

describe("d1/add-unique: an index on the primary key", () => {
  it("does not flag a unique index on a TEXT PRIMARY KEY column, nor call it a contract step", async () => {
    const r = await checkMigrations({
      "migrations/0001_base.sql":
        "CREATE TABLE user (id TEXT NOT NULL PRIMARY KEY, name TEXT);\nCREATE TABLE team (id TEXT PRIMARY KEY, owner TEXT);",
      "migrations/0002_indexes.sql":
        "CREATE UNIQUE INDEX user_id ON user (id);\nCREATE INDEX team_owner ON team (owner);",
    });
    expect(hits(r).filter((h) => h.startsWith("d1/add-unique") || h.startsWith("d1/mixed-expand-contract"))).toEqual(
      [],
    );
  });
});
