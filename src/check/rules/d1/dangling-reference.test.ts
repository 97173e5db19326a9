import { describe, expect, it } from "vitest";
import { checkMigrations } from "../../d1/testing.js";

const BASE = `CREATE TABLE pets (id TEXT PRIMARY KEY, name TEXT);
CREATE TABLE visits (id TEXT PRIMARY KEY, pet_id TEXT REFERENCES pets(id), note TEXT);`;

async function hits(change: string): Promise<string[]> {
  const r = await checkMigrations({ "migrations/0001_init.sql": BASE, "migrations/0002_change.sql": change });
  return r.findings.filter((f) => f.rule === "d1/dangling-reference").map((f) => `${f.line} ${f.message}`);
}

describe("d1/dangling-reference", () => {
  it("flags a dropped table that a table which stays still references", async () => {
    const [hit, more] = await hits("DROP TABLE pets;");
    expect(more).toBeUndefined();
    expect(hit).toMatch(/^1 drops pets while visits\(pet_id\) still REFERENCES it/);
    expect(hit).toContain('"no such table: main.pets"');
  });

  it("says nothing when the child is dropped or rebuilt without the reference, or the parent comes back", async () => {
    expect(await hits("DROP TABLE visits;\nDROP TABLE pets;")).toEqual([]);
    const rebuild = `CREATE TABLE visits_new (id TEXT PRIMARY KEY, pet_id TEXT, note TEXT);
INSERT INTO visits_new SELECT id, pet_id, note FROM visits;
DROP TABLE visits;
ALTER TABLE visits_new RENAME TO visits;
DROP TABLE pets;`;
    expect(await hits(rebuild)).toEqual([]);
    const back =
      "CREATE TABLE pets_new (id TEXT PRIMARY KEY, name TEXT, kind TEXT);\nDROP TABLE pets;\nALTER TABLE pets_new RENAME TO pets;";
    expect(await hits(back)).toEqual([]);
  });

  it("flags the rename-the-old-table rebuild at the rename: the children follow the rename to the dropped copy", async () => {
    const renameOld = `PRAGMA foreign_keys=OFF;
ALTER TABLE pets RENAME TO pets_old;
CREATE TABLE pets (id TEXT PRIMARY KEY, name TEXT, kind TEXT);
INSERT INTO pets (id, name) SELECT id, name FROM pets_old;
DROP TABLE pets_old;`;
    const [hit, more] = await hits(renameOld);
    expect(more).toBeUndefined();
    expect(hit).toMatch(/^2 renames pets to pets_old, .*visits\(pet_id\) now references pets_old, which line 5 drops/);
    expect(hit).toContain("The pets this file creates again gets none of them");
    const r = await checkMigrations({ "migrations/0001_init.sql": BASE, "migrations/0002_change.sql": renameOld });
    const fix = r.findings.find((f) => f.rule === "d1/dangling-reference")?.fix ?? "";
    expect(fix).toContain("ALTER TABLE pets_new RENAME TO pets;");
  });

  it("says nothing when the renamed copy is dropped but the children were rebuilt onto the new table", async () => {
    const both = `ALTER TABLE pets RENAME TO pets_old;
CREATE TABLE pets (id TEXT PRIMARY KEY, name TEXT, kind TEXT);
INSERT INTO pets (id, name) SELECT id, name FROM pets_old;
CREATE TABLE visits_new (id TEXT PRIMARY KEY, pet_id TEXT REFERENCES pets(id), note TEXT);
INSERT INTO visits_new SELECT id, pet_id, note FROM visits;
DROP TABLE visits;
ALTER TABLE visits_new RENAME TO visits;
DROP TABLE pets_old;`;
    expect(await hits(both)).toEqual([]);
    // Renamed away and kept: the children point at a table that exists.
    expect(await hits("ALTER TABLE pets RENAME TO pets_archive;\nCREATE TABLE pets (id TEXT PRIMARY KEY);")).toEqual(
      [],
    );
  });
});
