import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { hits, writeProject } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

/** A history that starts from a `users` table made outside migrations. */
const HISTORY = {
  "migrations/0001_plan.sql": "ALTER TABLE users ADD COLUMN plan TEXT;\nCREATE INDEX users_plan ON users (plan);",
  "migrations/0002_more.sql":
    "ALTER TABLE users ADD COLUMN seats INTEGER;\nCREATE TABLE teams (id INTEGER PRIMARY KEY);",
  "migrations/0003_drop.sql": "ALTER TABLE users DROP COLUMN legacy;",
};

describe("d1/missing-base-schema", () => {
  it("reports a table made outside migrations once, instead of one sql-error per statement", async () => {
    const r = await runCheck(writeProject(HISTORY), { analyzers: [d1Analyzer] });
    // The DROP COLUMN is judged apart: users holds production rows whatever the replay knows of it.
    expect(hits(r)).toEqual(["d1/missing-base-schema@0001_plan.sql:1", "d1/drop-column@0003_drop.sql:1"]);
    expect(r.findings[0]?.message).toContain("(1 more in this file)");
    expect(r.findings[0]?.fix).toContain("--base-schema base-schema.sql");
  });

  it("stays quiet on what fails only through the missing table: a child row whose parent row could not be inserted", async () => {
    const r = await runCheck(
      writeProject({
        "migrations/0001_courses.sql": [
          "CREATE TABLE courses (id TEXT PRIMARY KEY, author TEXT REFERENCES users(id));",
          "CREATE TABLE lessons (id TEXT PRIMARY KEY, course TEXT NOT NULL REFERENCES courses(id));",
          "INSERT INTO courses (id, author) VALUES ('c1', 'u1');",
          "INSERT INTO lessons (id, course) VALUES ('l1', 'c1');",
        ].join("\n"),
        "migrations/0002_rebuild.sql": [
          "CREATE TABLE courses_new (id TEXT PRIMARY KEY, author TEXT REFERENCES users(id), level TEXT);",
          "INSERT INTO courses_new (id, author) SELECT id, author FROM courses;",
          "DROP TABLE courses;",
          "ALTER TABLE courses_new RENAME TO courses;",
        ].join("\n"),
        "migrations/0003_level.sql": "UPDATE courses SET level = 'basic' WHERE level IS NULL;",
        "migrations/0004_tags.sql": [
          "CREATE TABLE tags (id TEXT PRIMARY KEY);",
          "CREATE TABLE lesson_tags (tag TEXT NOT NULL REFERENCES tags(id));",
          "INSERT INTO lesson_tags (tag) VALUES ('missing');",
        ].join("\n"),
      }),
      { analyzers: [d1Analyzer] },
    );
    // One finding for users; the parent row no migration inserts into tags is still an SQL error of its own.
    expect(hits(r).filter((h) => !h.startsWith("d1/rebuild"))).toEqual([
      "d1/missing-base-schema@0001_courses.sql:3",
      "d1/sql-error@0004_tags.sql:3",
    ]);
  });

  it("stays quiet on a backup table that CREATE TABLE … AS SELECT could not make from the missing table", async () => {
    const r = await runCheck(
      writeProject({
        "migrations/0001_backup.sql": "CREATE TABLE users_temp AS SELECT * FROM users;\nDROP TABLE IF EXISTS users;",
        "migrations/0002_users.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
        "migrations/0003_restore.sql": "INSERT INTO users SELECT * FROM users_temp;\nDROP TABLE users_temp;",
      }),
      { analyzers: [d1Analyzer] },
    );
    expect(hits(r).filter((h) => h.startsWith("d1/missing-base-schema") || h.startsWith("d1/sql-error"))).toEqual([
      "d1/missing-base-schema@0001_backup.sql:1",
    ]);
  });

  it("reports a foreign key to a table nothing creates, at its REFERENCES line, once per table", async () => {
    const cards = [
      "CREATE TABLE saved_cards (",
      "  id TEXT PRIMARY KEY,",
      "  account_id TEXT NOT NULL,",
      "  FOREIGN KEY (account_id) REFERENCES accounts(id) ON DELETE CASCADE",
      ");",
    ].join("\n");
    const r = await runCheck(
      writeProject({
        "migrations/0001_cards.sql": cards,
        "migrations/0002_tokens.sql":
          "CREATE TABLE tokens (id TEXT PRIMARY KEY, account_id TEXT REFERENCES accounts(id));",
      }),
      { analyzers: [d1Analyzer] },
    );
    expect(hits(r)).toEqual(["d1/missing-base-schema@0001_cards.sql:4"]);
    expect(r.findings[0]?.message).toContain(
      'every INSERT into saved_cards (and every DELETE from it) fails with "no such table: main.accounts"',
    );
  });

  it("says nothing of a foreign key whose parent a later migration creates, a base schema holds, or a failing statement reported", async () => {
    const later = await runCheck(
      writeProject({
        "migrations/0001_cards.sql":
          "CREATE TABLE cards (id TEXT PRIMARY KEY, account_id TEXT REFERENCES accounts(id));",
        "migrations/0002_accounts.sql": "CREATE TABLE accounts (id TEXT PRIMARY KEY);",
      }),
      { analyzers: [d1Analyzer] },
    );
    expect(hits(later)).toEqual([]);
    const dir = writeProject({
      "migrations/0001_cards.sql": "CREATE TABLE cards (id TEXT PRIMARY KEY, account_id TEXT REFERENCES accounts(id));",
    });
    writeFileSync(join(dir, "base-schema.sql"), "CREATE TABLE accounts (id TEXT PRIMARY KEY);\n");
    const base = await runCheck(dir, { analyzers: [d1Analyzer], baseSchema: join(dir, "base-schema.sql") });
    expect(hits(base)).toEqual([]);
    // The FK comes first, the statement that fails on accounts later: one finding, the statement's.
    const named = await runCheck(
      writeProject({
        "migrations/0001_cards.sql":
          "CREATE TABLE cards (id TEXT PRIMARY KEY, account_id TEXT REFERENCES accounts(id));",
        "migrations/0002_plan.sql": "ALTER TABLE accounts ADD COLUMN plan TEXT;",
      }),
      { analyzers: [d1Analyzer] },
    );
    expect(hits(named)).toEqual(["d1/missing-base-schema@0002_plan.sql:1"]);
  });

  it("--base-schema supplies the table, and the changes to it are checked again", async () => {
    const dir = writeProject(HISTORY);
    writeFileSync(join(dir, "base-schema.sql"), "CREATE TABLE users (id INTEGER PRIMARY KEY, legacy TEXT);\n");
    const r = await runCheck(dir, { analyzers: [d1Analyzer], baseSchema: join(dir, "base-schema.sql") });
    expect(hits(r)).toEqual(["d1/drop-column@0003_drop.sql:1"]);
  });

  it("still reports a table that a migration dropped earlier as an SQL error", async () => {
    const r = await runCheck(
      writeProject({
        "migrations/0001_a.sql": "CREATE TABLE a (x);",
        "migrations/0002_b.sql": "DROP TABLE a;",
        "migrations/0003_c.sql": "INSERT INTO a VALUES (1);",
      }),
      { analyzers: [d1Analyzer] },
    );
    expect(hits(r, "d1/sql-error")).toEqual(["d1/sql-error@0003_c.sql:1"]);
    expect(hits(r, "d1/missing-base-schema")).toEqual([]);
  });

  it("names the base schema file when SQLite rejects it", async () => {
    const dir = writeProject(HISTORY);
    writeFileSync(join(dir, "base.sql"), "CREATE TABLE users (id INTEGER PRIMARY KEY,);\n");
    await expect(runCheck(dir, { analyzers: [d1Analyzer], baseSchema: join(dir, "base.sql") })).rejects.toThrow(
      /base\.sql: SQLite rejects the base schema/,
    );
  });
});
