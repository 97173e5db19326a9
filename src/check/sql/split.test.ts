import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { splitStatements } from "./split.js";
import { describeStatement } from "./tokens.js";

describe("splitStatements", () => {
  it("splits on semicolons outside strings, identifiers and comments", () => {
    const sql = [
      "CREATE TABLE \"a;b\" (x TEXT DEFAULT 'it''s; fine');",
      "-- a comment; with a semicolon",
      "/* block; comment */ INSERT INTO `t;` VALUES ('x'); SELECT [odd;name] FROM t;",
    ].join("\n");
    const { statements, comments, problems } = splitStatements(sql);
    expect(statements.map((s) => s.sql)).toEqual([
      "CREATE TABLE \"a;b\" (x TEXT DEFAULT 'it''s; fine')",
      "INSERT INTO `t;` VALUES ('x')",
      "SELECT [odd;name] FROM t",
    ]);
    expect(statements.map((s) => s.line)).toEqual([1, 3, 3]);
    expect(comments.map((c) => c.text.trim())).toEqual(["a comment; with a semicolon", "block; comment"]);
    expect(statements[1]?.leading.length).toBe(2);
    expect(problems).toEqual([]);
  });

  it("keeps a trigger body with its inner semicolons as one statement", () => {
    const sql = `CREATE TRIGGER t_audit AFTER UPDATE ON orders
BEGIN
  INSERT INTO audit VALUES (old.id);
  UPDATE counters SET n = n + 1;
END;
CREATE TEMP TRIGGER t2 AFTER INSERT ON orders BEGIN SELECT 1; END;
SELECT 2`;
    const { statements } = splitStatements(sql);
    expect(statements).toHaveLength(3);
    expect(statements[0]?.sql.endsWith("END")).toBe(true);
    expect(statements[0]?.endLine).toBe(5);
    expect(statements[2]?.sql).toBe("SELECT 2");
    expect(statements[2]?.line).toBe(7);
  });

  it("does not end a trigger at the END of a CASE expression", () => {
    const sql = `CREATE TRIGGER t AFTER INSERT ON a BEGIN
  UPDATE a SET x = CASE WHEN new.y > 0 THEN 1 ELSE 0 END;
  SELECT CASE new.y WHEN 1 THEN 'a' END;
END;
SELECT 3;`;
    const { statements } = splitStatements(sql);
    expect(statements.map((s) => s.line)).toEqual([1, 5]);
  });

  it("reports unterminated strings and comments with their line", () => {
    expect(splitStatements("SELECT 1;\nINSERT INTO t VALUES ('oops);\nSELECT 2;").problems).toEqual([
      { message: "unterminated string starting here", line: 2, column: 23, offset: 32 },
    ]);
    expect(splitStatements("SELECT 1;\n/* never closed").problems[0]?.line).toBe(2);
  });

  it("returns nothing for empty and comment-only text", () => {
    expect(splitStatements("").statements).toEqual([]);
    expect(splitStatements("-- only\n/* comments */\n;;").statements).toEqual([]);
  });

  it("splits a 10 MB migration in linear time", () => {
    const row = "INSERT INTO t VALUES (1, 'a;b', \"c\"); -- note\n";
    const big = row.repeat(Math.ceil((10 * 1024 * 1024) / row.length));
    const { statements } = splitStatements(big);
    expect(statements.length).toBe(Math.ceil((10 * 1024 * 1024) / row.length));
  });
});

describe("describeStatement", () => {
  it.each([
    ["CREATE TABLE IF NOT EXISTS main.orders (id)", "create-table", "orders", undefined],
    ["CREATE UNIQUE INDEX ix ON orders (sku)", "create-index", "ix", "orders"],
    ['ALTER TABLE "orders" RENAME TO orders_v2', "alter-table", "orders", "orders_v2"],
    ["DROP TABLE IF EXISTS orders", "drop-table", "orders", undefined],
    ["DELETE FROM orders", "delete", "orders", undefined],
    ["UPDATE OR IGNORE orders SET a = 1", "update", "orders", undefined],
    ["BEGIN TRANSACTION", "transaction", undefined, undefined],
  ])("%s", (sql, verb, target, table) => {
    const info = describeStatement(sql);
    expect([info.verb, info.target, info.table]).toEqual([verb, target, table]);
  });

  it("says whether a CREATE or DROP is guarded by IF [NOT] EXISTS, and whether an index is UNIQUE", () => {
    const of = (sql: string) => {
      const { guarded, unique } = describeStatement(sql);
      return [guarded ?? false, unique ?? false];
    };
    expect(of("CREATE UNIQUE INDEX IF NOT EXISTS ix ON orders (sku)")).toEqual([true, true]);
    expect(of("CREATE INDEX ix ON orders (sku) WHERE note = 'IF'")).toEqual([false, false]);
    expect(of("DROP INDEX IF EXISTS ix")).toEqual([true, false]);
    expect(of("DROP INDEX ix")).toEqual([false, false]);
  });

  it("sees a top-level WHERE, not one inside a subquery", () => {
    expect(describeStatement("DELETE FROM a WHERE id IN (SELECT id FROM b)").hasWhere).toBe(true);
    expect(describeStatement("UPDATE a SET x = (SELECT y FROM b WHERE b.id = a.id)").hasWhere).toBe(false);
    expect(describeStatement("WITH d AS (SELECT 1) DELETE FROM a").verb).toBe("delete");
    expect(describeStatement("INSERT INTO a (x) SELECT x FROM b").insertSelect).toBe(true);
    expect(describeStatement("INSERT INTO a (x) VALUES ((SELECT 1))").insertSelect).toBe(false);
    // Past the 64-token head: a long column list before the SELECT, a long VALUES list.
    const cols = Array.from({ length: 60 }, (_, i) => `c${i}`).join(", ");
    expect(describeStatement(`INSERT INTO a (${cols}) SELECT ${cols} FROM b`).insertSelect).toBe(true);
    expect(
      describeStatement(`INSERT INTO a (x) VALUES ${Array.from({ length: 60 }, () => "(1)").join(", ")}`).insertSelect,
    ).toBe(false);
  });
});

describe("splitStatements on arbitrary input", () => {
  const sqlish = fc.stringMatching(/^[a-zA-Z0-9 ;'"`[\]\-/*()\n_,.]*$/, { maxLength: 200 });

  it("never throws, and returns statements in order, inside the text", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), sqlish), (text) => {
        const { statements } = splitStatements(text);
        let last = -1;
        for (const s of statements) {
          expect(s.offset).toBeGreaterThan(last);
          expect(text.slice(s.offset, s.offset + s.sql.length)).toBe(s.sql);
          expect(s.line).toBeGreaterThanOrEqual(1);
          expect(s.endLine).toBeGreaterThanOrEqual(s.line);
          last = s.offset;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("re-splitting the joined statements gives the same statements", () => {
    fc.assert(
      fc.property(sqlish, (text) => {
        const { statements, problems } = splitStatements(text);
        fc.pre(problems.length === 0);
        const again = splitStatements(statements.map((s) => `${s.sql};`).join("\n")).statements.map((s) => s.sql);
        expect(again).toEqual(statements.map((s) => s.sql));
      }),
      { numRuns: 300 },
    );
  });
});
