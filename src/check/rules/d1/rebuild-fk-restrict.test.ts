import { describe, expect, it } from "vitest";
import { checkMigrations, exportDump, hits } from "../../d1/testing.js";

const RULE = "d1/rebuild-fk-restrict";

/** users, and sessions / posts that reference it with the default (NO ACTION) and RESTRICT. */
const BASE = `CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL);
CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id));
CREATE TABLE posts (id TEXT PRIMARY KEY, author_id TEXT REFERENCES users (id) ON DELETE RESTRICT);
CREATE TABLE tags (id TEXT PRIMARY KEY, name TEXT);
`;

/** What drizzle-kit writes for a change SQLite's ALTER TABLE cannot make. */
const DRIZZLE_REBUILD = `PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE \`__new_users\` (
	\`id\` text PRIMARY KEY NOT NULL,
	\`email\` text NOT NULL,
	\`name\` text
);
--> statement-breakpoint
INSERT INTO \`__new_users\`("id", "email") SELECT "id", "email" FROM \`users\`;--> statement-breakpoint
DROP TABLE \`users\`;--> statement-breakpoint
ALTER TABLE \`__new_users\` RENAME TO \`users\`;--> statement-breakpoint
PRAGMA foreign_keys=ON;`;

const DUMP = exportDump(BASE);

const check = (change: string, base = BASE, files: Record<string, string> = {}) =>
  checkMigrations({ "migrations/0001_base.sql": base, "migrations/0002_change.sql": change, ...files });

describe("d1/rebuild-fk-restrict", () => {
  it("flags a drop-and-recreate that saves the rows in a backup table: the DROP itself is blocked", async () => {
    const r = await check(`CREATE TABLE users_backup AS SELECT * FROM users;
DROP TABLE users;
CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL, name TEXT);
INSERT INTO users (id, email) SELECT id, email FROM users_backup;
DROP TABLE users_backup;`);
    expect(hits(r, RULE)).toEqual([`${RULE}@0002_change.sql:2`]);
    // Created in this very file, the table held no row and no child row can point at it.
    const fresh = await check(`CREATE TABLE teams (id TEXT PRIMARY KEY);
CREATE TABLE members (team_id TEXT REFERENCES teams (id));
DROP TABLE teams;
CREATE TABLE teams (id TEXT PRIMARY KEY, name TEXT);`);
    expect(hits(fresh, RULE)).toEqual([]);
  });
  it("flags drizzle's rebuild of a parent that NO ACTION and RESTRICT children reference, at the DROP", async () => {
    const r = await check(DRIZZLE_REBUILD);
    expect(hits(r, RULE)).toEqual([`${RULE}@0002_change.sql:9`]);
    const f = r.findings.find((x) => x.rule === RULE);
    expect(f?.severity).toBe("error");
    expect(f?.message).toContain("the rebuild of users drops users while sessions, posts reference it");
    expect(f?.message).toContain("sessions(user_id) → users(id) ON DELETE NO ACTION");
    expect(f?.message).toContain("posts(author_id) → users(id) ON DELETE RESTRICT");
    expect(f?.message).toContain("`PRAGMA foreign_keys = OFF` at line 1 is ignored on D1");
    expect(f?.fix).toContain("`PRAGMA defer_foreign_keys = on;` before `DROP TABLE users;`");
    expect(f?.fix).toContain("`PRAGMA defer_foreign_keys = off;` after `ALTER TABLE `__new_users` RENAME TO `users`;`");
  });

  it("for a rebuild that renamed the old table away, says deferring cannot help and gives the other order", async () => {
    const r = await check(`ALTER TABLE users RENAME TO users_old;
CREATE TABLE users (id TEXT PRIMARY KEY NOT NULL, email TEXT NOT NULL, name TEXT);
INSERT INTO users (id, email) SELECT id, email FROM users_old;
DROP TABLE users_old;`);
    expect(hits(r, RULE)).toEqual([`${RULE}@0002_change.sql:4`]);
    const fix = r.findings.find((x) => x.rule === RULE)?.fix ?? "";
    expect(fix).toMatch(/^Deferring the checks does not help here: `ALTER TABLE users RENAME TO users_old` \(line 1\)/);
    expect(fix).toContain("DROP TABLE users; ALTER TABLE users_new RENAME TO users;");
    // The children left pointing at the dropped copy are the other rule's finding, at the rename.
    expect(hits(r, "d1/dangling-reference")).toEqual(["d1/dangling-reference@0002_change.sql:1"]);
  });

  it("flags a plain DROP TABLE of a referenced parent, and a NO ACTION child reached through a cascade", async () => {
    const base = `${BASE}CREATE TABLE memberships (id TEXT PRIMARY KEY, user_id TEXT REFERENCES users (id) ON DELETE CASCADE);
CREATE TABLE audit (id TEXT PRIMARY KEY, membership_id TEXT REFERENCES memberships (id));`;
    const r = await check("DROP TABLE sessions;\nDROP TABLE posts;\nDROP TABLE users;", base);
    expect(hits(r, RULE)).toEqual([`${RULE}@0002_change.sql:3`]);
    expect(r.findings.find((x) => x.rule === RULE)?.message).toContain("(via users → memberships → audit)");
  });

  it("with a dump whose children hold rows, says the DROP fails there", async () => {
    const dump = `${DUMP}INSERT INTO users VALUES ('u1', 'a@b.c');\nINSERT INTO sessions VALUES ('s1', 'u1');`;
    const r = await checkMigrations(
      { "migrations/0001_base.sql": BASE, "migrations/0002_change.sql": DRIZZLE_REBUILD, "prod.sql": dump },
      "prod.sql",
    );
    const f = r.findings.find((x) => x.rule === RULE);
    expect([f?.severity, f?.message]).toEqual([
      "error",
      expect.stringContaining("fails there: FOREIGN KEY constraint failed"),
    ]);
  });

  it("is a warning when the dump's children are empty: it passes today", async () => {
    const r = await checkMigrations(
      { "migrations/0001_base.sql": BASE, "migrations/0002_change.sql": DRIZZLE_REBUILD, "prod.sql": DUMP },
      "prod.sql",
    );
    const f = r.findings.find((x) => x.rule === RULE);
    expect([f?.severity, f?.message]).toEqual(["warning", expect.stringContaining("hold no row there")]);
  });

  it("does not flag when defer_foreign_keys is on before the DROP (and the fix really passes on data)", async () => {
    const fixed = DRIZZLE_REBUILD.replace("PRAGMA foreign_keys=OFF;", "PRAGMA defer_foreign_keys = on;").replace(
      "PRAGMA foreign_keys=ON;",
      "PRAGMA defer_foreign_keys = off;",
    );
    const dump = `${DUMP}INSERT INTO users VALUES ('u1', 'a@b.c');\nINSERT INTO sessions VALUES ('s1', 'u1');`;
    const r = await checkMigrations(
      { "migrations/0001_base.sql": BASE, "migrations/0002_change.sql": fixed, "prod.sql": dump },
      "prod.sql",
    );
    expect(hits(r)).toEqual([]);
  });

  it("deferred, a rebuild that leaves a child's parent behind is named by d1/data-constraint on the data", async () => {
    const lossy = DRIZZLE_REBUILD.replace("PRAGMA foreign_keys=OFF;", "PRAGMA defer_foreign_keys = on;")
      .replace("PRAGMA foreign_keys=ON;", "PRAGMA defer_foreign_keys = off;")
      .replace("FROM `users`;", "FROM `users` WHERE id <> 'u1';");
    const dump = `${DUMP}INSERT INTO users VALUES ('u1', 'a@b.c');\nINSERT INTO sessions VALUES ('s1', 'u1');`;
    const r = await checkMigrations(
      { "migrations/0001_base.sql": BASE, "migrations/0002_change.sql": lossy, "prod.sql": dump },
      "prod.sql",
    );
    expect(hits(r, RULE)).toEqual([]);
    expect(r.findings.find((x) => x.rule === "d1/data-constraint")?.message).toContain("sessions");
  });

  it("does not flag when the file emptied the parent first (the DROP then deletes no row)", async () => {
    const sql = `DELETE FROM sessions;\nDELETE FROM posts;\nDELETE FROM users;\n${DRIZZLE_REBUILD}`;
    expect(hits(await check(sql), RULE)).toEqual([]);
  });

  it("flags DELETE FROM a parent without WHERE while children reference it, unless the children were emptied first", async () => {
    const r = await check("DELETE FROM users;");
    const f = r.findings.find((x) => x.rule === RULE);
    expect([f?.line, f?.message]).toEqual([
      1,
      expect.stringContaining("DELETE FROM users deletes every row while sessions, posts reference it"),
    ]);
    expect(f?.fix).toContain("Delete the children's rows first");
    expect(hits(await check("DELETE FROM users WHERE id = 'x';"), RULE)).toEqual([]);
    expect(hits(await check("DELETE FROM sessions;\nDELETE FROM posts;\nDELETE FROM users;"), RULE)).toEqual([]);
    // Emptied, then given rows again before the parent's DELETE: they block it.
    const refilled =
      "DELETE FROM sessions;\nDELETE FROM posts;\nINSERT INTO sessions (id, user_id) SELECT id, id FROM users;\nDELETE FROM users;";
    expect(hits(await check(refilled), RULE)).toEqual([`${RULE}@0002_change.sql:4`]);
  });

  it("still flags when defer_foreign_keys was turned off again before the DROP", async () => {
    const sql = `PRAGMA defer_foreign_keys = on;\nPRAGMA defer_foreign_keys = off;\n${DRIZZLE_REBUILD}`;
    expect(hits(await check(sql), RULE)).toHaveLength(1);
  });

  it("does not flag a parent no table references, children that reference another table, or a child dropped first", async () => {
    const tags = DRIZZLE_REBUILD.replaceAll("users", "tags").replace("`email` text NOT NULL", "`name2` text");
    expect(hits(await check(tags.replaceAll('"email"', '"name"')), RULE)).toEqual([]);
    const dropChildren = `DROP TABLE sessions;\nDROP TABLE posts;\n${DRIZZLE_REBUILD}`;
    expect(hits(await check(dropChildren), RULE)).toEqual([]);
  });

  it("does not flag children created empty in the same file, or a self-reference", async () => {
    const base =
      "CREATE TABLE users (id TEXT PRIMARY KEY, email TEXT NOT NULL, invited_by TEXT REFERENCES users (id));";
    const sql = `CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id TEXT REFERENCES users (id));\n${DRIZZLE_REBUILD}`;
    expect(hits(await check(sql, base), RULE)).toEqual([]);
  });

  it("flags a child rebuilt earlier in the same file: its copied rows still reference the parent", async () => {
    const child = `CREATE TABLE __new_sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id), at INTEGER);
INSERT INTO __new_sessions (id, user_id) SELECT id, user_id FROM sessions;
DROP TABLE sessions;
ALTER TABLE __new_sessions RENAME TO sessions;
DROP TABLE posts;
`;
    const r = await check(`${child}${DRIZZLE_REBUILD}`);
    const f = r.findings.find((x) => x.rule === RULE);
    expect(f?.data?.children).toEqual(["sessions"]);
    expect(f?.message).toContain("drops users while sessions references it");
  });
});
