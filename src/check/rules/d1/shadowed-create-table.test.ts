import { describe, expect, it } from "vitest";
import { checkMigrations } from "../../d1/testing.js";

const INIT = `CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  body TEXT NOT NULL,
  kind TEXT NOT NULL,
  created_at TEXT NOT NULL DEFAULT (datetime('now'))
);
`;

async function hits(later: string, init = INIT) {
  const result = await checkMigrations({ "migrations/0001_init.sql": init, "migrations/0002_later.sql": later });
  return result.findings
    .filter((f) => f.rule === "d1/shadowed-create-table")
    .map((f) => ({ at: `${f.file.split("/").pop()}:${f.line}`, severity: f.severity, message: f.message, fix: f.fix }));
}

describe("d1/shadowed-create-table", () => {
  it("flags CREATE TABLE IF NOT EXISTS over an existing table with other columns, naming them and the creator", async () => {
    const found = await hits(`-- notifications
CREATE TABLE IF NOT EXISTS notifications (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL,
  message TEXT NOT NULL,
  type TEXT NOT NULL DEFAULT 'info',
  created_at TEXT NOT NULL DEFAULT (datetime('now'))
);`);
    expect(found.map((f) => [f.at, f.severity])).toEqual([["0002_later.sql:2", "warning"]]);
    expect(found[0]?.message).toContain("0001_init.sql created notifications");
    expect(found[0]?.message).toContain("declares message, type, which it lacks");
    expect(found[0]?.message).toContain("leaves out body, kind");
    expect(found[0]?.fix).toContain("ALTER TABLE notifications ADD COLUMN message TEXT;");
  });

  it("does not flag IF NOT EXISTS when the table does not exist yet", async () => {
    expect(await hits("CREATE TABLE IF NOT EXISTS audit_logs (id TEXT PRIMARY KEY, action TEXT NOT NULL);")).toEqual(
      [],
    );
  });

  it("does not flag the same columns spelled another way: order, case, quoting, INT for INTEGER", async () => {
    const init = "CREATE TABLE counters (id INTEGER PRIMARY KEY, hits INTEGER NOT NULL DEFAULT 0, label VARCHAR(40));";
    expect(
      await hits(
        'create table if not exists "Counters" (label TEXT, "HITS" int not null default 0, id INTEGER PRIMARY KEY);',
        init,
      ),
    ).toEqual([]);
  });

  it("does not flag index, view or trigger IF NOT EXISTS, nor a table this file adds the columns to afterwards", async () => {
    expect(
      await hits(`CREATE INDEX IF NOT EXISTS notifications_user ON notifications (user_id);
CREATE VIEW IF NOT EXISTS unread AS SELECT id FROM notifications;
CREATE TRIGGER IF NOT EXISTS notifications_touch AFTER INSERT ON notifications BEGIN SELECT 1; END;`),
    ).toEqual([]);
    expect(
      await hits(`CREATE TABLE IF NOT EXISTS notifications (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, body TEXT NOT NULL,
  kind TEXT NOT NULL, created_at TEXT NOT NULL DEFAULT (datetime('now')), link TEXT);
ALTER TABLE notifications ADD COLUMN link TEXT;`),
    ).toEqual([]);
  });
});
