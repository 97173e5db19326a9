import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { migrationHistory } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

const RULE = "d1/squash-reapplied";
const USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY);";
const NAME = "ALTER TABLE users ADD COLUMN name TEXT;";
const TAGS = "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);";

/** Commits a day apart: a file deleted within a day of being added is not counted as shipped. */
async function found(commits: Record<string, string | null>[]) {
  const r = await runCheck(migrationHistory(commits, {}, { minutes: 24 * 60 }), { analyzers: [d1Analyzer] });
  return r.findings.filter((f) => f.rule === RULE);
}

/** A history of two shipped files, then a commit that deletes them and adds `squash` in their place. */
const squashed = (squash: string): Record<string, string | null>[] => [
  { "migrations/0001_base.sql": USERS },
  { "migrations/0002_name.sql": NAME },
  { "migrations/0003_tags.sql": TAGS },
  { "migrations/0001_base.sql": null, "migrations/0002_name.sql": null, "migrations/0001_initial.sql": squash },
];

describe(RULE, () => {
  it("flags a squash that drops the old tables: it runs again on databases that applied the old files", async () => {
    const reset = `PRAGMA foreign_keys = OFF;\nDROP TABLE IF EXISTS users;\nDROP TABLE IF EXISTS tags;\n${USERS.replace("users (", "users (name TEXT, ")}\n${TAGS}`;
    const [f, more] = await found(squashed(reset));
    expect(more).toBeUndefined();
    expect([f?.file, f?.line, f?.severity]).toEqual(["migrations/0001_initial.sql", 2, "error"]);
    expect(f?.message).toMatch(
      /0001_initial\.sql stands for 0001_base\.sql, 0002_name\.sql \(deleted by commit [0-9a-f]{7}, \d{4}-\d\d-\d\d, after they shipped\)/,
    );
    expect(f?.message).toContain("it drops users, tags, which the old files made: every row in them is lost");
    expect(f?.fix).toContain(
      `wrangler d1 execute app --remote --command "INSERT INTO d1_migrations (name) VALUES ('0001_initial.sql')"`,
    );
  });

  it("stays quiet when the squash is harmless on old databases, or nothing shipped before the deletion", async () => {
    // It fails there (`users` exists): D1 rolls it back whole, so it drops nothing, and the failure is loud.
    const fails = `DROP TABLE IF EXISTS tags;\n${USERS}`;
    expect(await found(squashed(fails))).toEqual([]);
    // IF NOT EXISTS and only new tables: a no-op there (d1/deleted-migration judges the schema difference).
    const idempotent = await found(
      squashed("CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT);\nDROP TABLE IF EXISTS scratch;"),
    );
    expect(idempotent).toEqual([]);
    // A table the squash creates itself and drops again is no old data.
    const scratch = await found(
      squashed(
        "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE tmp (x);\nDROP TABLE tmp;",
      ),
    );
    expect(scratch).toEqual([]);
    // The deleting commit adds the next migration, after the old history: every database runs it, as any other.
    const next = await found([
      { "migrations/0001_base.sql": USERS },
      { "migrations/0002_name.sql": NAME },
      { "migrations/0003_tags.sql": TAGS },
      { "migrations/0002_name.sql": null, "migrations/0004_reset.sql": "DROP TABLE tags;" },
    ]);
    expect(next).toEqual([]);
    // It fails there on a table the old history never made: that says more about the history than the squash.
    expect(await found(squashed("ALTER TABLE accounts ADD COLUMN name TEXT;"))).toEqual([]);
    // Deleted before anything was added on top of them: never shipped, so no database holds their record.
    const unshipped = await found([
      { "migrations/0001_base.sql": USERS },
      { "migrations/0001_base.sql": null, "migrations/0001_initial.sql": `DROP TABLE IF EXISTS users;\n${USERS}` },
    ]);
    expect(unshipped).toEqual([]);
  });
});
