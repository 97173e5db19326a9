import { describe, expect, it } from "vitest";
import { findingsOf, writeProject } from "../../config/fixture.js";
import { d1Analyzer } from "../../d1/analyzer.js";

const WRANGLER = `name = "app"
main = "src/index.js"
compatibility_date = "2025-01-01"
[[d1_databases]]
binding = "DB"
database_name = "app"
database_id = "00000000-0000-0000-0000-000000000000"
`;
const BASE = "CREATE TABLE students (id INTEGER PRIMARY KEY, name TEXT);";
const ADD = "ALTER TABLE students ADD COLUMN mushaf TEXT CHECK (mushaf IN ('13line', '15line_madani'));";

function project(migration: string, code: string): string {
  return writeProject({
    "wrangler.toml": WRANGLER,
    "migrations/0001_base.sql": BASE,
    "migrations/0002_mushaf.sql": migration,
    "src/index.js": code,
  });
}

const hits = async (dir: string) =>
  (await findingsOf(dir, [d1Analyzer], "d1/check-rejects-code-value")).map((f) => [f.file, f.line, f.message]);

describe("d1/check-rejects-code-value", () => {
  it("flags a new column's CHECK that rejects a value the code lists for it", async () => {
    const dir = project(
      ADD,
      `const VALID_MUSHAF = ['13line', '15line_madani', '15line_indopak'];
export async function save(env, body) {
  if (!VALID_MUSHAF.includes(body.mushaf)) throw new Error("bad");
  await env.DB.prepare("UPDATE students SET mushaf = ? WHERE id = ?").bind(body.mushaf, body.id).run();
}
`,
    );
    const [hit] = await hits(dir);
    expect(hit?.[0]).toBe("migrations/0002_mushaf.sql");
    expect(hit?.[2]).toContain("rejects '15line_indopak', which src/index.js:1 lists");
  });

  it("flags a rebuild or a new table whose CHECK leaves out a listed value", async () => {
    const rebuild = project(
      `CREATE TABLE students_new (id INTEGER PRIMARY KEY, name TEXT, kind TEXT CHECK (kind IN ('a', 'b')));
INSERT INTO students_new (id, name) SELECT id, name FROM students;
DROP TABLE students;
ALTER TABLE students_new RENAME TO students;`,
      `const KINDS = ["a", "b", "c"];\nexport const q = "INSERT INTO students (kind) VALUES (?)"; // kind\n`,
    );
    expect(await hits(rebuild)).toHaveLength(1);
  });

  it("does not flag a CHECK a later migration widens to the code's values, nor one the code lists exactly", async () => {
    const widened = writeProject({
      "wrangler.toml": WRANGLER,
      "migrations/0001_base.sql": BASE,
      "migrations/0002_mushaf.sql": ADD,
      "migrations/0003_widen.sql": `CREATE TABLE s2 (id INTEGER PRIMARY KEY, name TEXT, mushaf TEXT CHECK (mushaf IN ('13line', '15line_madani', '15line_indopak')));
INSERT INTO s2 SELECT id, name, mushaf FROM students;
DROP TABLE students;
ALTER TABLE s2 RENAME TO students;`,
      "src/index.js": `const M = ['13line', '15line_madani', '15line_indopak'];\nexport const q = "UPDATE students SET mushaf = ?";\n`,
    });
    expect(await hits(widened)).toEqual([]);
    const own = project(
      ADD,
      `const MUSHAF = ['13line', '15line_madani'];\nconst SYNC = ['13line', '15line_madani', 'web'];\nexport const q = "UPDATE students SET mushaf = ?";\n`,
    );
    expect(await hits(own)).toEqual([]);
  });

  it("does not flag a list the CHECK allows, a list sharing no value, or a file that does not name the column", async () => {
    const allowed = project(
      ADD,
      `const M = ['13line', '15line_madani'];\nexport const q = "UPDATE students SET mushaf = ?";\n`,
    );
    expect(await hits(allowed)).toEqual([]);
    const other = project(
      ADD,
      `const SIZES = ['small', 'large'];\nexport const q = "UPDATE students SET mushaf = ?";\n`,
    );
    expect(await hits(other)).toEqual([]);
    const elsewhere = project(
      ADD,
      `const M = ['13line', '15line_indopak'];\nexport const q = "SELECT * FROM students";\n`,
    );
    expect(await hits(elsewhere)).toEqual([]);
  });

  it("is quiet when a later rebuild allows the value, even where the rebuild needs a parent made outside the migrations", async () => {
    // orgs and users were made by hand: the copy and the DROP's cascade need them; the replay supplies empty stand-ins.
    const dir = writeProject({
      "wrangler.toml": WRANGLER,
      "migrations/0001_base.sql":
        "CREATE TABLE modul (id TEXT PRIMARY KEY, org TEXT REFERENCES orgs(id), kind TEXT CHECK (kind IN ('a', 'b')));" +
        "CREATE TABLE progress (id TEXT PRIMARY KEY, user_id TEXT REFERENCES users(id), modul_id TEXT REFERENCES modul(id) ON DELETE CASCADE);",
      "migrations/0002_widen.sql": `CREATE TABLE modul_new (id TEXT PRIMARY KEY, org TEXT REFERENCES orgs(id), kind TEXT CHECK (kind IN ('a', 'b', 'c')));
INSERT OR IGNORE INTO modul_new SELECT * FROM modul;
DROP TABLE modul;
ALTER TABLE modul_new RENAME TO modul;`,
      "src/index.js": `const KINDS = ["a", "b", "c"];\nexport const q = "INSERT INTO modul (kind) VALUES (?)"; // kind\n`,
    });
    expect(await hits(dir)).toEqual([]);
  });
});
