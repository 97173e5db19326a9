import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyMigrations, type D1Client, listMigrations, restoreSnapshot, snapshot } from "./d1.js";

describe("D1 migrations and snapshots (on Miniflare's D1)", () => {
  let mf: Miniflare;
  let dir: string;
  const db = async () => (await mf.getD1Database("DB")) as unknown as D1Client;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "bw-d1-"));
    mf = new Miniflare({ modules: true, script: "export default {}", d1Databases: { DB: "test-db" }, cf: false });
    await mf.ready;
  });
  afterAll(async () => {
    await mf.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("snapshots a database without AUTOINCREMENT tables, with blobs and foreign keys, and restores it", async () => {
    const d = await db();
    await d.batch([
      d.prepare("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, data BLOB, score REAL)"),
      d.prepare("CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id))"),
      d.prepare("CREATE INDEX child_parent ON child (parent_id)"),
      d.prepare("CREATE VIEW names AS SELECT name FROM parent"),
      d.prepare("INSERT INTO parent VALUES (1, 'it''s', x'00ff10', 2.5), (2, NULL, NULL, -1)"),
      d.prepare("INSERT INTO child VALUES (10, 1), (11, 2)"),
    ]);
    const snap = await snapshot(d);
    expect(snap.schema.map((s) => s.name).sort()).toEqual(["child", "child_parent", "names", "parent"]);
    expect(snap.inserts).toContain(
      `INSERT INTO "parent" ("id", "name", "data", "score") VALUES (1,'it''s',X'00FF10',2.5);`,
    );

    await d.batch([
      d.prepare("DELETE FROM child"),
      d.prepare("DROP VIEW names"),
      d.prepare("ALTER TABLE parent ADD COLUMN extra TEXT"),
      d.prepare("CREATE TABLE other (x)"),
    ]);
    await restoreSnapshot(d, snap);
    const again = await snapshot(d);
    expect(again.schema).toEqual(snap.schema);
    expect(again.inserts.sort()).toEqual([...snap.inserts].sort());
  });

  it("lists and applies migrations_pattern nested migrations under wrangler's names, in numeric order", async () => {
    const migrations = join(dir, "nested");
    const files: [string, string][] = [
      ["10_c", "ALTER TABLE n ADD c TEXT;"],
      ["2_b", "ALTER TABLE n ADD b TEXT;"],
      ["1_a", "CREATE TABLE n (id TEXT);"],
    ];
    for (const [folder, sql] of files) {
      mkdirSync(join(migrations, folder), { recursive: true });
      writeFileSync(join(migrations, folder, "migration.sql"), sql);
      writeFileSync(join(migrations, folder, "snapshot.json"), "{}");
    }
    writeFileSync(join(migrations, "0000_top.sql"), "SELECT 1;");
    const target = { db: await db(), dir: migrations, table: "nested_migrations", order: "numeric" as const };
    const pattern = { ...target, pattern: "*/migration.sql" };
    expect((await listMigrations(target)).map((m) => m.name)).toEqual(["0000_top.sql"]);
    await expect(applyMigrations(pattern, "2_b/migration.sql")).resolves.toEqual([
      "1_a/migration.sql",
      "2_b/migration.sql",
    ]);
    expect(await listMigrations(pattern)).toMatchObject([
      { name: "1_a/migration.sql", applied: true },
      { name: "2_b/migration.sql", applied: true },
      { name: "10_c/migration.sql", applied: false },
    ]);
    await expect(applyMigrations(pattern)).resolves.toEqual(["10_c/migration.sql"]);
  });

  it("applies migrations like wrangler, one transaction each, and stops at a failing one", async () => {
    const migrations = join(dir, "migrations");
    mkdirSync(migrations);
    writeFileSync(
      join(migrations, "0001_a.sql"),
      "CREATE TABLE a (id TEXT PRIMARY KEY);\n-- a comment; with a semicolon\nINSERT INTO a VALUES ('x;y');",
    );
    writeFileSync(join(migrations, "0002_b.sql"), "CREATE TABLE b (id TEXT);\nINSERT INTO missing VALUES (1);");
    writeFileSync(join(migrations, "notes.txt"), "not a migration");
    const target = { db: await db(), dir: migrations };
    await expect(applyMigrations(target)).rejects.toThrow(/0002_b.sql failed and was rolled back/);
    const states = await listMigrations(target);
    expect(states.map((s) => [s.name, s.applied])).toEqual([
      ["0001_a.sql", true],
      ["0002_b.sql", false],
    ]);
    const d = await db();
    const tables = (await d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'b'").all())
      .results;
    expect(tables).toEqual([]);
    const applied = (await d.prepare("SELECT id, name FROM d1_migrations").all()).results;
    expect(applied).toEqual([{ id: 1, name: "0001_a.sql" }]);
    await expect(applyMigrations(target, "0009_nope.sql")).rejects.toThrow(/no migration named/);
  });
});
