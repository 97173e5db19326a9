import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { checksOf, readTable } from "./schema.js";

describe("checksOf", () => {
  it("reads column and table CHECK constraints", () => {
    expect(
      checksOf(`CREATE TABLE t (
        kind TEXT NOT NULL CHECK (kind IN ('a', 'b')), -- a comment
        n INT CONSTRAINT n_pos CHECK(n>=0),
        "Weird Name" TEXT,
        CONSTRAINT span CHECK ("t"."start" < t."end" AND length(kind) <= 10),
        CHECK (n <> -1)
      )`),
    ).toEqual([
      { column: "kind", expr: "kind in ('a', 'b')" },
      { column: "n", expr: "n >= 0" },
      { expr: `"start" < "end" and length(kind) <= 10` },
      { expr: "n <> -1" },
    ]);
  });

  it("spells one expression the same whatever its spacing, case and comments", () => {
    const a = checksOf("CREATE TABLE t (k TEXT CHECK (k IN ('x','y')))");
    const b = checksOf("create table t (k text check(\n  k   in ( /* why */ 'x' , 'y' )\n))");
    expect(b).toEqual(a);
  });

  it("finds none in a table without CHECK, a virtual table or CREATE TABLE … AS", () => {
    expect(checksOf("CREATE TABLE t (id INTEGER PRIMARY KEY, check_count INT)")).toEqual([]);
    expect(checksOf("CREATE VIRTUAL TABLE d USING fts5(body)")).toEqual([]);
    expect(checksOf("CREATE TABLE t AS SELECT max(1) AS x")).toEqual([]);
  });
});

describe("readTable", () => {
  it("carries the CHECK constraints SQLite stored, also after a rename", () => {
    const db = new Database(":memory:");
    db.exec("CREATE TABLE __new_t (id INTEGER PRIMARY KEY, kind TEXT CHECK (kind IN ('a', 'b')))");
    db.exec('ALTER TABLE "__new_t" RENAME TO "t"');
    expect(readTable(db, "t")?.checks).toEqual([{ column: "kind", expr: "kind in ('a', 'b')" }]);
    db.close();
  });
});
