import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { migrationHistory, TEST_WRANGLER } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

const RULE = "d1/deleted-migration";
const BASE = "CREATE TABLE workspaces (id INTEGER PRIMARY KEY, name TEXT, thread_count INTEGER);";
const DROP = "ALTER TABLE workspaces DROP COLUMN thread_count;";
const TAGS = "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);";

/** Commits a day apart by default: a file deleted within a day of being added is not counted as shipped. */
async function found(commits: Record<string, string | null>[], minutes = 24 * 60) {
  const r = await runCheck(migrationHistory(commits, {}, { minutes }), { analyzers: [d1Analyzer] });
  return r.findings.filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  it("flags a shipped migration deleted from the folder, naming what the databases that applied it differ in", async () => {
    const [f, more] = await found([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_drop_counts.sql": DROP },
      { "migrations/0003_tags.sql": TAGS },
      { "migrations/0002_drop_counts.sql": null },
    ]);
    expect(more).toBeUndefined();
    expect([f?.file, f?.line, f?.severity]).toEqual(["migrations/0002_drop_counts.sql", 1, "warning"]);
    expect(f?.message).toMatch(
      /0002_drop_counts\.sql shipped \(0003_tags\.sql was added after it, in commit [0-9a-f]{7} \(\d{4}-\d\d-\d\d\)\) and commit [0-9a-f]{7} \(\d{4}-\d\d-\d\d\) deleted it/,
    );
    expect(f?.message).toContain("databases that applied it lack column workspaces.thread_count");
    expect(f?.fix).toMatch(
      /git show [0-9a-f]{7}\^:\.\/migrations\/0002_drop_counts\.sql > migrations\/0002_drop_counts\.sql/,
    );
  });

  it("reports a squash (many files deleted in one commit, folded into another) once, when old databases differ", async () => {
    const [f, more] = await found([
      { "migrations/0001_base.sql": "CREATE TABLE users (id INTEGER PRIMARY KEY);" },
      { "migrations/0002_name.sql": "ALTER TABLE users ADD COLUMN name TEXT;" },
      { "migrations/0003_tags.sql": TAGS },
      {
        "migrations/0001_base.sql": null,
        "migrations/0002_name.sql": null,
        "migrations/0004_users.sql": "CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, job TEXT);",
      },
    ]);
    expect(more).toBeUndefined();
    expect(f?.message).toContain("0001_base.sql, 0002_name.sql shipped");
    expect(f?.message).toContain("lack column users.job");
  });

  it("stays quiet on a file deleted before it shipped, or whose deletion leaves every database alike", async () => {
    const unshipped = await found([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_drop_counts.sql": DROP },
      { "migrations/0002_drop_counts.sql": null },
      { "migrations/0003_tags.sql": TAGS },
    ]);
    expect(unshipped).toEqual([]);
    // The index the deleted file made, a later file makes again: old and new databases end up the same.
    const alike = await found([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_index.sql": "CREATE INDEX ws_name ON workspaces (name);" },
      { "migrations/0003_tags.sql": TAGS },
      {
        "migrations/0002_index.sql": null,
        "migrations/0004_index.sql": "CREATE INDEX IF NOT EXISTS ws_name ON workspaces (name);",
      },
    ]);
    expect(alike).toEqual([]);
  });

  it("stays quiet when the file lived less than a day, or the config moved to a new database with the deletion", async () => {
    const history = (last: Record<string, string | null>): Record<string, string | null>[] => [
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_drop_counts.sql": DROP },
      { "migrations/0003_tags.sql": TAGS },
      { "migrations/0002_drop_counts.sql": null, ...last },
    ];
    expect(await found(history({}), 5)).toEqual([]);
    const moved = TEST_WRANGLER.replace("00000000-0000-0000-0000-000000000000", "11111111-2222-3333-4444-555555555555");
    expect(await found(history({ "wrangler.toml": moved }))).toEqual([]);
    expect(await found(history({}))).toHaveLength(1);
  });

  it("does not read a rename as a deletion", async () => {
    const renamed = await found([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_drop_counts.sql": DROP },
      { "migrations/0003_tags.sql": TAGS },
      { "migrations/0002_drop_counts.sql": null, "migrations/0002_drop_thread_count.sql": DROP },
    ]);
    expect(renamed).toEqual([]);
  });
});
