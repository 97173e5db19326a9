import { describe, expect, it } from "vitest";
import { checkMigrations } from "../../d1/testing.js";

const RULE = "d1/repeated-insert";
const AGENTS = `CREATE TABLE IF NOT EXISTS agents (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, api_key TEXT, model TEXT);
INSERT INTO agents (name, api_key) VALUES ('search', ''), ('writer', '');
`;

async function hits(files: Record<string, string>): Promise<string[]> {
  const r = await checkMigrations(files);
  return r.findings.filter((f) => f.rule === RULE).map((f) => `${f.file.split("/").pop()}:${f.line}`);
}

describe(RULE, () => {
  it("flags a later migration that inserts the same rows again (a schema file copied into it)", async () => {
    expect(await hits({ "migrations/0001_init.sql": AGENTS, "migrations/0002_copy.sql": AGENTS })).toEqual([
      "0002_copy.sql:2",
    ]);
    const spaced = "INSERT INTO agents (name, api_key)\nVALUES ( 'search' , '' );";
    expect(await hits({ "migrations/0001_init.sql": AGENTS, "migrations/0002_one.sql": spaced })).toEqual([
      "0002_one.sql:1",
    ]);
  });

  it("says how many rows repeat and where they came from", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": AGENTS,
      "migrations/0002_more.sql": "INSERT INTO agents (name, api_key) VALUES ('search', ''), ('coder', '');",
    });
    const f = r.findings.find((x) => x.rule === RULE);
    expect(f?.message).toContain("1 of its 2 rows again that 0001_init.sql already inserted into agents");
  });

  it("flags rows that differ from earlier ones in one column only: an UPDATE written as an INSERT", async () => {
    const first = "INSERT INTO agents (name, api_key, model) VALUES ('search', '', 'pplx'), ('writer', '', 'pplx');";
    const again =
      "INSERT INTO agents (name, api_key, model) VALUES ('search', 'KEY', 'pplx'), ('writer', 'KEY', 'pplx');";
    const r = await checkMigrations({
      "migrations/0001_init.sql": `${AGENTS}${first}`,
      "migrations/0002_keys.sql": again,
    });
    const f = r.findings.find((x) => x.rule === RULE);
    expect(f?.message).toContain("each differing only in api_key, as an UPDATE written as an INSERT");
    expect(f?.fix).toContain("UPDATE agents SET api_key = … WHERE …");
    // Two columns changed, or a two-column row with another value, is a new row.
    const two = "INSERT INTO agents (name, api_key, model) VALUES ('search', 'KEY', 'gpt');";
    expect(await hits({ "migrations/0001_init.sql": `${AGENTS}${first}`, "migrations/0002_x.sql": two })).toEqual([]);
    const pair = "INSERT INTO agents (name, api_key) VALUES ('search', 'KEY');";
    expect(await hits({ "migrations/0001_init.sql": AGENTS, "migrations/0002_x.sql": pair })).toEqual([]);
  });

  it("does not flag new rows, OR IGNORE, ON CONFLICT, a DELETE first, another table, or a repeat a unique key rejects", async () => {
    const cases = [
      "INSERT INTO agents (name, api_key) VALUES ('coder', '');",
      "INSERT OR IGNORE INTO agents (name, api_key) VALUES ('search', '');",
      "DELETE FROM agents WHERE name = 'search';\nINSERT INTO agents (name, api_key) VALUES ('search', '');",
      "CREATE TABLE tools (name TEXT, api_key TEXT);\nINSERT INTO tools (name, api_key) VALUES ('search', '');",
    ];
    for (const sql of cases)
      expect(await hits({ "migrations/0001_init.sql": AGENTS, "migrations/0002_change.sql": sql }), sql).toEqual([]);
    const keyed = "CREATE TABLE roles (name TEXT PRIMARY KEY);\nINSERT INTO roles (name) VALUES ('admin');\n";
    expect(
      await hits({
        "migrations/0001_init.sql": keyed,
        "migrations/0002_again.sql": "INSERT INTO roles (name) VALUES ('admin');",
      }),
    ).toEqual([]);
    // A table dropped and created again starts empty: its seed is no repeat.
    expect(
      await hits({
        "migrations/0001_init.sql": AGENTS,
        "migrations/0002_reset.sql": `DROP TABLE agents;\n${AGENTS}`,
      }),
    ).toEqual([]);
  });
});
