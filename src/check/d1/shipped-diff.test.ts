import { describe, expect, it } from "vitest";
import { rerunFailure, schemaDifference } from "./shipped-diff.js";

describe("schemaDifference", () => {
  it("lists what each history leaves that the other does not", () => {
    const d = schemaDifference(
      ["CREATE TABLE u (id INTEGER PRIMARY KEY, n TEXT);", "ALTER TABLE u DROP COLUMN n;"],
      ["CREATE TABLE u (id INTEGER PRIMARY KEY, n TEXT);"],
    );
    expect(d).toEqual({ onlyOld: [], onlyNew: ["column u.n (TEXT)"] });
  });

  it("reads DEFAULT true and DEFAULT 1 as the same default, since SQLite stores booleans as 1 and 0", () => {
    const d = schemaDifference(
      ["CREATE TABLE packs (id INTEGER PRIMARY KEY, is_active INTEGER DEFAULT true, gone INTEGER DEFAULT FALSE);"],
      ["CREATE TABLE packs (id INTEGER PRIMARY KEY, is_active INTEGER DEFAULT 1, gone INTEGER DEFAULT 0);"],
    );
    expect(d).toEqual({ onlyOld: [], onlyNew: [] });
  });
});

describe("rerunFailure", () => {
  const earlier = ["CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT);"];

  it("names the first statement that fails where the shipped text ran, with SQLite's error", () => {
    const stop = rerunFailure(earlier, "CREATE TABLE t (id);", "CREATE TABLE t (id, x);\nCREATE TABLE v (id);");
    expect(stop?.statement.line).toBe(1);
    expect(stop?.error).toBe("table t already exists");
    const dup = "ALTER TABLE u ADD COLUMN email TEXT;";
    expect(rerunFailure(earlier, dup, `-- again\n${dup}`)?.error).toBe("duplicate column name: email");
  });

  it("is undefined when the re-run goes through, or first fails where a new database fails too", () => {
    expect(rerunFailure(earlier, "CREATE TABLE IF NOT EXISTS t (id);", "CREATE TABLE IF NOT EXISTS t (id);")).toBe(
      undefined,
    );
    // `missing` exists on neither: a new database stops there as well, which is no matter of the rename.
    expect(rerunFailure(earlier, "CREATE TABLE t (id);", "INSERT INTO missing VALUES (1);\nCREATE TABLE t (id);")).toBe(
      undefined,
    );
  });
});
