import { describe, expect, it } from "vitest";
import { checkMigrations, hits } from "../../d1/testing.js";

const RULE = "d1/cascade-before-update";
const BASE = `CREATE TABLE users (id TEXT PRIMARY KEY);
CREATE TABLE media (id INTEGER PRIMARY KEY, user_id TEXT REFERENCES users(id) ON DELETE CASCADE);
CREATE TABLE notes (id INTEGER PRIMARY KEY, user_id TEXT REFERENCES users(id) ON DELETE CASCADE);
CREATE TABLE logs (id INTEGER PRIMARY KEY, user_id TEXT REFERENCES users(id));`;

const run = (sql: string) => checkMigrations({ "migrations/0001_base.sql": BASE, "migrations/0002_fix.sql": sql });

describe(RULE, () => {
  it("flags a DELETE whose cascade removes the child rows the next UPDATEs mean to move, at the DELETE", async () => {
    const r = await run(`DELETE FROM users WHERE id = 'test-user-001';
UPDATE media SET user_id = 'g-102' WHERE user_id = 'test-user-001';
UPDATE notes SET user_id = 'g-102' WHERE user_id = 'test-user-001';`);
    expect(hits(r, RULE)).toEqual([`${RULE}@0002_fix.sql:1`]);
    const f = r.findings.find((x) => x.rule === RULE);
    expect(f?.message).toContain("ON DELETE CASCADE deletes their rows in media, notes with them");
    expect(f?.message).toContain("the UPDATE at line 2 and 1 more");
  });
  it("does not flag the UPDATEs first, another key, a child without CASCADE, an unrelated DELETE, or the children deleted too", async () => {
    for (const sql of [
      `UPDATE media SET user_id = 'g-102' WHERE user_id = 'test-user-001';
DELETE FROM users WHERE id = 'test-user-001';`,
      `DELETE FROM users WHERE id = 'u1';
UPDATE media SET user_id = 'g-102' WHERE user_id = 'u2';`,
      `DELETE FROM users WHERE id = 'u1';
UPDATE logs SET user_id = NULL WHERE user_id = 'u1';`,
      `DELETE FROM media WHERE id = 3;
UPDATE notes SET user_id = 'u1' WHERE user_id = 'u2';`,
      // Deleting the children after the parent only repeats the cascade.
      `DELETE FROM users WHERE id = 'u1';
DELETE FROM media WHERE user_id = 'u1';`,
    ])
      expect(hits(await run(sql), RULE), sql).toEqual([]);
  });
});
