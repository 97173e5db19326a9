import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Change } from "./diff.js";
import { collapseRebuilds } from "./rebuild.js";
import { createReplayer } from "./replay.js";
import { splitStatements } from "./split.js";

function replay(...files: string[]) {
  const r = createReplayer();
  const out = files.map((sql, i) => {
    const file = r.applyFile(`${i}.sql`, splitStatements(sql).statements);
    const raw = file.statements.flatMap((s) => s.changes);
    return { file, raw, changes: collapseRebuilds(raw, (t) => r.tables.get(t.toLowerCase())) };
  });
  return { r, out };
}
const kinds = (cs: readonly Change[]) => cs.map((c) => `${c.kind}:${c.table}`);

describe("Replayer", () => {
  it("creates d1_migrations as wrangler does and records each file in it", () => {
    const { r } = replay("CREATE TABLE a (x);", "CREATE TABLE b (x);");
    expect(r.tables.get("d1_migrations")?.columns.map((c) => [c.name, c.type, c.notNull])).toEqual([
      ["id", "INTEGER", false],
      ["name", "TEXT", false],
      ["applied_at", "TIMESTAMP", true],
    ]);
    expect([...r.applied()]).toEqual(["0.sql", "1.sql"]);
  });

  it("diffs columns (type, nullability, default), indexes (uniqueness) and foreign keys (actions)", () => {
    const { out } = replay(
      "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (id INTEGER PRIMARY KEY, a TEXT, p_id INTEGER REFERENCES p (id) ON DELETE CASCADE);",
      "ALTER TABLE c ADD COLUMN b INTEGER NOT NULL DEFAULT 7;\nCREATE UNIQUE INDEX ux_a ON c (a);\nDROP INDEX ux_a;\nCREATE INDEX ix_b ON c (b);",
    );
    const [added, unique, dropped, plain] = out[1]?.changes ?? [];
    expect(added).toMatchObject({
      kind: "add-column",
      column: { name: "b", type: "INTEGER", notNull: true, default: "7" },
    });
    expect(unique).toMatchObject({ kind: "add-index", index: { name: "ux_a", unique: true, columns: ["a"] } });
    expect(dropped).toMatchObject({ kind: "drop-index", index: { name: "ux_a" } });
    expect(plain).toMatchObject({ kind: "add-index", index: { unique: false } });
    const created = out[0]?.changes[1];
    expect(created?.kind === "create-table" && created.after.foreignKeys).toEqual([
      { table: "p", from: ["p_id"], to: ["id"], onDelete: "CASCADE", onUpdate: "NO ACTION" },
    ]);
  });

  it("sees views and triggers come and go", () => {
    const { out } = replay(
      "CREATE TABLE t (x);\nCREATE VIEW v AS SELECT x FROM t;\nCREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;",
      "DROP VIEW v;\nDROP TRIGGER tr;",
    );
    expect(out[0]?.changes.map((c) => c.kind)).toEqual(["create-table", "create-view", "create-trigger"]);
    expect(out[1]?.changes.map((c) => c.kind)).toEqual(["drop-view", "drop-trigger"]);
  });

  it("reports renames of tables and columns, and follows children's REFERENCES to the new name", () => {
    const { r, out } = replay(
      "CREATE TABLE p (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE c (p_id INTEGER REFERENCES p (id));",
      "ALTER TABLE p RENAME COLUMN name TO title;\nALTER TABLE p RENAME TO parents;",
    );
    expect(out[1]?.changes.map((c) => c.kind)).toEqual(["rename-column", "rename-table"]);
    expect(r.tables.get("c")?.foreignKeys[0]?.table).toBe("parents");
    expect(r.childrenOf("parents").map((t) => t.name)).toEqual(["c"]);
  });

  it("folds the 12-step rebuild (both shapes) into one modify-table change", () => {
    const base = "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);\nCREATE INDEX ix_a ON t (a);";
    const shape1 = `CREATE TABLE t_new (id INTEGER PRIMARY KEY, a TEXT NOT NULL DEFAULT '', c INTEGER);
INSERT INTO t_new (id, a) SELECT id, a FROM t;
DROP TABLE t;
ALTER TABLE t_new RENAME TO t;
CREATE INDEX ix_a ON t (a);`;
    const { out } = replay(base, shape1);
    expect(kinds(out[1]?.changes ?? [])).toEqual(["modify-table:t"]);
    const m = out[1]?.changes[0];
    expect(m?.kind === "modify-table" && [m.line, m.dropLine]).toEqual([1, 3]);
    expect(m?.kind === "modify-table" && m.changes.map((c) => c.kind)).toEqual([
      "drop-column",
      "add-column",
      "alter-column",
    ]);

    const shape2 = `ALTER TABLE t RENAME TO t_old;
CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT, d TEXT);
INSERT INTO t (id, a, b) SELECT id, a, b FROM t_old;
DROP TABLE t_old;
CREATE INDEX ix_a ON t (a);`;
    const two = replay(base, shape2).out[1]?.changes ?? [];
    expect(kinds(two)).toEqual(["modify-table:t"]);
    expect(two[0]?.kind === "modify-table" && two[0].changes.map((c) => c.kind)).toEqual(["add-column"]);
  });

  it("skips transaction statements and keeps going after a failing statement", () => {
    const { out } = replay("BEGIN;\nCREATE TABLE a (x);\nINSERT INTO nope VALUES (1);\nCREATE TABLE b (x);\nCOMMIT;");
    const s = out[0]?.file.statements ?? [];
    expect(s.map((x) => x.skipped ?? (x.error ? "error" : "ok"))).toEqual([
      "transaction",
      "ok",
      "error",
      "ok",
      "transaction",
    ]);
    expect(s[2]?.error?.message).toContain("no such table: nope");
  });

  it("replays a rebuild whose parents were made outside the migrations with stand-ins, and keeps the fresh-database error apart", () => {
    // users and orgs are never created: production made them by hand. The rebuild's copy and DROP need them.
    const history = [
      "CREATE TABLE modul (id TEXT PRIMARY KEY, org TEXT REFERENCES orgs(id), kind TEXT CHECK (kind IN ('a','b')));" +
        "CREATE TABLE progress (id TEXT PRIMARY KEY, user_id TEXT REFERENCES users(id), modul_id TEXT REFERENCES modul(id) ON DELETE CASCADE);",
      "CREATE TABLE modul_new (id TEXT PRIMARY KEY, org TEXT REFERENCES orgs(id), kind TEXT CHECK (kind IN ('a','b','c')));" +
        "INSERT INTO modul_new SELECT * FROM modul; DROP TABLE modul; ALTER TABLE modul_new RENAME TO modul;" +
        "UPDATE users SET name = 'x';",
    ];
    for (const engine of ["subset", "whole", "verify"] as const) {
      const r = createReplayer({ engine });
      r.applyFile("0.sql", splitStatements(history[0] ?? "").statements);
      const out = r.applyFile("1.sql", splitStatements(history[1] ?? "").statements);
      // The error is a fresh database's; the statement ran, as in production.
      expect(out.statements.map((o) => [o.verb, o.error?.message, o.freshError?.message, o.stubbedParents])).toEqual([
        ["create-table", undefined, undefined, undefined],
        ["insert", undefined, "no such table: main.orgs", ["orgs"]],
        ["drop-table", undefined, expect.stringMatching(/^no such table: main\.(users|orgs)$/), expect.any(Array)],
        ["alter-table", undefined, undefined, undefined],
        // The stand-in is only for other tables' keys: the table itself is still missing.
        ["update", "no such table: users", undefined, undefined],
      ]);
      expect(r.tables.get("modul")?.checks.map((c) => c.expr)).toEqual(["kind in ('a', 'b', 'c')"]);
      expect([r.tables.has("users"), r.tables.has("orgs")]).toEqual([false, false]);
      if (engine === "whole")
        expect(r.db.prepare("SELECT name FROM sqlite_schema WHERE name IN ('users', 'orgs')").all()).toEqual([]);
      r.close();
    }
  });

  it("reports a view broken before an ALTER once, at its first victim; later ALTERs run past it and keep their own errors", () => {
    const { out, r } = replay(
      "CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT, note TEXT, total INT);\nCREATE TABLE items (order_id INT);\nCREATE INDEX idx_orders_total ON orders (total);\nCREATE VIEW order_items_view AS SELECT o.id, i.order_id FROM orders o JOIN items i ON i.order_id = o.id;",
      "DROP TABLE items;",
      "ALTER TABLE orders RENAME COLUMN note TO memo;",
      "ALTER TABLE orders DROP COLUMN status;",
      "ALTER TABLE orders DROP COLUMN total;",
    );
    const [first, second, third] = [2, 3, 4].map((i) => out[i]?.file.statements[0]);
    expect(first?.error?.message).toBe("error in view order_items_view: no such table: main.items");
    // The same cause again: not reported; the column is dropped, as on a database whose view is whole.
    expect([second?.error, second?.freshError?.message]).toEqual([
      undefined,
      "error in view order_items_view: no such table: main.items",
    ]);
    expect(r.tables.get("orders")?.columns.map((c) => c.name)).not.toContain("status");
    // Its own cause, past the view: an indexed column cannot be dropped.
    expect(third?.error?.message).toContain("idx_orders_total");
  });

  it("leaves a failing statement undone when stand-ins do not help: a child row needs a parent row", () => {
    const r = createReplayer({ engine: "whole" });
    r.applyFile(
      "0.sql",
      splitStatements("CREATE TABLE post (id INTEGER PRIMARY KEY, author TEXT NOT NULL REFERENCES users(id));")
        .statements,
    );
    const out = r.applyFile("1.sql", splitStatements("INSERT INTO post (author) VALUES ('u1');").statements);
    expect(out.statements[0]?.error?.message).toBe("no such table: main.users");
    expect(out.statements[0]?.stubbedParents).toBeUndefined();
    expect(r.db.prepare("SELECT count(*) AS n FROM post").get()).toEqual({ n: 0 });
    expect(r.db.prepare("SELECT name FROM sqlite_schema WHERE name = 'users'").all()).toEqual([]);
    r.close();
  });

  it("ignores PRAGMA foreign_keys = OFF inside the file, as D1 does", () => {
    const r = createReplayer({ trackRows: true });
    r.applyFile(
      "1.sql",
      splitStatements(
        "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (p INTEGER REFERENCES p (id) ON DELETE CASCADE);\nINSERT INTO p VALUES (1);\nINSERT INTO c VALUES (1);",
      ).statements,
    );
    const out = r.applyFile("2.sql", splitStatements("PRAGMA foreign_keys = OFF;\nDELETE FROM p;").statements);
    expect(out.statements[1]?.rowLoss.map((l) => [l.table, l.rows])).toEqual([["c", 1]]);
  });
});

describe("Replayer on arbitrary input", () => {
  it("turns any text into outcomes and errors, never an exception", () => {
    const r = createReplayer({ trackRows: true });
    r.applyFile("0.sql", splitStatements("CREATE TABLE p (id INTEGER PRIMARY KEY);").statements);
    const pieces = fc.constantFrom(
      "CREATE TABLE",
      "DROP TABLE p",
      "ALTER TABLE p",
      "RENAME TO q",
      "ADD COLUMN c TEXT",
      "BEGIN",
      "END",
      "(",
      ")",
      ";",
      "'x",
      "CREATE TRIGGER t AFTER INSERT ON p BEGIN",
      "SELECT 1",
      "INSERT INTO p VALUES (1)",
      "DELETE FROM p",
    );
    let n = 1;
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const split = splitStatements(parts.join(" "));
        const out = r.applyFile(`${n++}.sql`, split.statements, split.problems[0]?.offset);
        expect(out.statements).toHaveLength(split.statements.length);
      }),
      { numRuns: 200 },
    );
  });
});
