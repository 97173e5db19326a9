import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { inChunks, insertBatches } from "./batch.js";
import { MAX_BOUND_PARAMS, Sql, sql, statementBytes } from "./sql.js";

declare global {
  namespace Cloudflare {
    interface Env {
      D1_DB: D1Database;
    }
  }
}

beforeAll(async () => {
  await env.D1_DB.exec("CREATE TABLE IF NOT EXISTS people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT)");
});

describe("sql tagged template", () => {
  it("binds every value, never splices it", () => {
    const name = "x'; DROP TABLE people; --";
    const q = sql`SELECT * FROM people WHERE name = ${name} AND id > ${3}`;
    expect(q.text).toBe("SELECT * FROM people WHERE name = ? AND id > ?");
    expect(q.params).toEqual([name, 3]);
  });

  it("runs against real D1, where an injection attempt stays a value", async () => {
    const evil = "x'); DROP TABLE people; --";
    await sql`INSERT INTO people (name, note) VALUES (${evil}, ${null})`.prepare(env.D1_DB).run();
    const row = await sql`SELECT name, note FROM people WHERE name = ${evil}`.prepare(env.D1_DB).first();
    expect(row).toEqual({ name: evil, note: null });
    const n = await sql`SELECT count(*) AS n FROM sqlite_master WHERE name = ${"people"}`.prepare(env.D1_DB).first();
    expect(n).toEqual({ n: 1 });
  });

  it("splices nested fragments with their parameters in order", () => {
    const where = sql`id = ${1} AND name = ${"a"}`;
    const q = sql`UPDATE people SET note = ${"n"} WHERE ${where} AND note IS ${null}`;
    expect(q.text).toBe("UPDATE people SET note = ? WHERE id = ? AND name = ? AND note IS ?");
    expect(q.params).toEqual(["n", 1, "a", null]);
  });

  it("takes identifiers only through sql.id(), validated and quoted", async () => {
    const q = sql`SELECT ${sql.id("people.name")} FROM ${sql.id("people")} WHERE id = ${1}`;
    expect(q.text).toBe('SELECT "people"."name" FROM "people" WHERE id = ?');
    await q.prepare(env.D1_DB).all();
    for (const bad of ["", "1abc", "a b", 'a"b', "a;drop", "a.b.c", "people--", "x".repeat(129)]) {
      expect(() => sql.id(bad), bad).toThrow(/not a plain SQL identifier/);
    }
  });

  it("refuses values D1 cannot bind, naming the parameter", () => {
    expect(() => sql`SELECT ${1}, ${undefined as unknown as null}`).toThrow(/parameter 2 is undefined/);
    expect(() => sql`SELECT ${Number.NaN}`).toThrow(/finite/);
    expect(() => sql`SELECT ${{} as unknown as string}`).toThrow(/parameter 1 is object/);
  });

  it("cannot be called with a string dressed up as a template", () => {
    const fake = ["SELECT * FROM people WHERE name = '" + "x" + "'"] as unknown as TemplateStringsArray;
    expect(() => sql(fake)).toThrow(/tagged template/);
  });

  it("makes IN lists and joins, refusing an empty list", async () => {
    const q = sql`SELECT count(*) AS n FROM people WHERE id IN (${sql.list([1, 2, 3])})`;
    expect(q.text).toBe("SELECT count(*) AS n FROM people WHERE id IN (?, ?, ?)");
    await q.prepare(env.D1_DB).first();
    expect(() => sql.list([])).toThrow(/empty/);
    expect(sql.join([sql`a = ${1}`, sql`b = ${2}`], " AND ").text).toBe("a = ? AND b = ?");
  });

  it("refuses statements over D1's limits before D1 does", () => {
    const many = sql`SELECT ${sql.list(Array.from({ length: 101 }, (_, i) => i))}`;
    expect(() => many.prepare(env.D1_DB)).toThrow(/101 parameters; D1 allows 100/);
    const big = sql`SELECT ${"x".repeat(100_001)}`;
    expect(() => big.prepare(env.D1_DB)).toThrow(/bytes; D1 allows 100000/);
  });
});

describe("batching helpers", () => {
  it("keeps every INSERT within 100 parameters and inserts all rows in one transaction", async () => {
    await env.D1_DB.exec("CREATE TABLE IF NOT EXISTS bulk (id INTEGER PRIMARY KEY, a TEXT, b INTEGER, c TEXT)");
    const rows = Array.from({ length: 1000 }, (_, i) => [i, `a${i}`, i * 2, null]);
    const stmts = insertBatches("bulk", ["id", "a", "b", "c"], rows);
    for (const s of stmts) expect(s.params.length).toBeLessThanOrEqual(MAX_BOUND_PARAMS);
    expect(stmts).toHaveLength(Math.ceil(1000 / 25)); // 4 columns → 25 rows per statement
    await env.D1_DB.batch(stmts.map((s) => s.prepare(env.D1_DB)));
    const n = await env.D1_DB.prepare("SELECT count(*) AS n, sum(b) AS s FROM bulk").first();
    expect(n).toEqual({ n: 1000, s: 999_000 });
  });

  it("splits on bytes too, with wide rows", async () => {
    await env.D1_DB.exec("CREATE TABLE IF NOT EXISTS wide (id INTEGER PRIMARY KEY, body TEXT)");
    const rows = Array.from({ length: 30 }, (_, i) => [i, "é".repeat(10_000)]); // ~20 KB each
    const stmts = insertBatches("wide", ["id", "body"], rows, { or: "IGNORE" });
    for (const s of stmts) expect(statementBytes(s)).toBeLessThanOrEqual(100_000);
    expect(stmts.length).toBeGreaterThanOrEqual(7);
    expect(stmts[0]?.text.startsWith('INSERT OR IGNORE INTO "wide" ("id", "body") VALUES (?, ?)')).toBe(true);
    await env.D1_DB.batch(stmts.map((s) => s.prepare(env.D1_DB)));
    expect(await env.D1_DB.prepare("SELECT count(*) AS n FROM wide").first()).toEqual({ n: 30 });
  });

  it("chunks IN lists, leaving room for the statement's own parameters", async () => {
    const ids = Array.from({ length: 250 }, (_, i) => i);
    const stmts = inChunks(ids, (list) => sql`SELECT count(*) AS n FROM bulk WHERE b > ${-1} AND id IN (${list})`);
    expect(stmts.map((s) => s.params.length)).toEqual([100, 100, 53]);
    const results = await env.D1_DB.batch<{ n: number }>(stmts.map((s) => s.prepare(env.D1_DB)));
    expect(results.reduce((s, r) => s + (r.results[0]?.n ?? 0), 0)).toBe(250);
  });

  it("refuses a single row that cannot fit, and mismatched rows", () => {
    expect(() => insertBatches("t", ["a"], [["x".repeat(100_001)]])).toThrow(/one row alone/);
    expect(() => insertBatches("t", ["a", "b"], [["x"]])).toThrow(/row 0 has 1 values for 2 columns/);
    expect(() => insertBatches("t; drop", ["a"], [["x"]])).toThrow(/identifier/);
  });

  it("is a Sql value that can be inspected before running", () => {
    expect(sql`SELECT 1`).toBeInstanceOf(Sql);
  });
});
