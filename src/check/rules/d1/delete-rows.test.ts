import { describe, expect, it } from "vitest";
import { checkMigrations, exportDump } from "../../d1/testing.js";

const RULE = "d1/delete-rows";
const NOTES = `CREATE TABLE notes (id TEXT PRIMARY KEY, parent_id TEXT REFERENCES notes(id) ON DELETE SET NULL, body TEXT, is_archived INTEGER NOT NULL DEFAULT 0, expires_at TEXT);
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);
`;

async function findings(change: string, base = NOTES, dump?: string) {
  const files = { "migrations/0001_base.sql": base, "migrations/0002_change.sql": change };
  const r = await checkMigrations(dump ? { ...files, "prod.sql": dump } : files, dump ? "prod.sql" : undefined);
  return r.findings.filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  it("flags a data migration that purges rows production wrote, and says how to keep them", async () => {
    const [f, more] = await findings("DELETE FROM notes\nWHERE is_archived = 1;");
    expect(more).toBeUndefined();
    expect(f?.line).toBe(1);
    expect(f?.severity).toBe("warning");
    expect(f?.message).toContain("DELETE FROM notes deletes rows production wrote, and keeps no copy");
    expect(f?.fix).toContain("CREATE TABLE notes_deleted AS SELECT * FROM notes WHERE is_archived = 1;");
  });

  it("flags a purge by status or type, whatever the condition's shape", async () => {
    expect(await findings("DELETE FROM notes WHERE is_archived = 1 OR body IS NULL;")).toHaveLength(1);
    expect(await findings("DELETE FROM settings WHERE value LIKE 'legacy:%';")).toHaveLength(1);
  });

  it("says nothing for chosen items, orphans, duplicates, expired rows, or a table the file emptied", async () => {
    expect(await findings("DELETE FROM settings WHERE key IN ('legacy_a', 'legacy_b');")).toEqual([]);
    // The children of chosen parents, by a reference or by a column named like one.
    expect(await findings("DELETE FROM notes WHERE parent_id IN ('n1', 'n2');")).toEqual([]);
    const hooks = `${NOTES}CREATE TABLE hooks (plugin TEXT REFERENCES notes(id), plugin_id TEXT, name TEXT);`;
    expect(await findings("DELETE FROM hooks WHERE plugin = 'cache';", hooks)).toEqual([]);
    expect(await findings("DELETE FROM hooks WHERE plugin_id = 'cache';", hooks)).toEqual([]);
    expect(await findings("DELETE FROM sqlite_sequence WHERE name = 'notes';")).toEqual([]);
    expect(await findings("DELETE FROM notes WHERE parent_id NOT IN (SELECT id FROM notes);")).toEqual([]);
    expect(
      await findings("DELETE FROM notes WHERE rowid NOT IN (SELECT min(rowid) FROM notes GROUP BY body);"),
    ).toEqual([]);
    expect(await findings("DELETE FROM notes WHERE expires_at < datetime('now');")).toEqual([]);
    expect(await findings("DELETE FROM notes;\nDELETE FROM notes WHERE is_archived = 1;")).toEqual([]);
  });

  it("leaves a schema migration's DELETE to d1/large-data-change, and a table created in the same file", async () => {
    expect(
      await findings("ALTER TABLE notes ADD COLUMN title TEXT;\nDELETE FROM notes WHERE is_archived = 1;"),
    ).toEqual([]);
    const created = "CREATE TABLE drafts (id TEXT PRIMARY KEY, stale INTEGER);\nDELETE FROM drafts WHERE stale = 1;";
    expect(await findings("DELETE FROM notes WHERE is_archived = 1;", `${NOTES}${created}`)).toHaveLength(1);
    expect(await findings(created)).toEqual([]);
  });

  it("with --data, counts the rows, and says nothing when none match there", async () => {
    const rows = "INSERT INTO notes (id, is_archived) VALUES ('a', 1), ('b', 1), ('c', 0);";
    const [f] = await findings("DELETE FROM notes WHERE is_archived = 1;", NOTES, exportDump(NOTES, rows));
    expect(f?.message).toMatch(/\(2 rows on .+\)/);
    const none = "INSERT INTO notes (id, is_archived) VALUES ('c', 0);";
    expect(await findings("DELETE FROM notes WHERE is_archived = 1;", NOTES, exportDump(NOTES, none))).toEqual([]);
  });
});
