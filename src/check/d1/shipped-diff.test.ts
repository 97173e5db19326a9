import { describe, expect, it } from "vitest";
import { schemaDifference } from "./shipped-diff.js";

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
