import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classifyFolder } from "./folder-classes.js";

function folder(files: Record<string, string | Buffer>): { dir: string; names: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "bw-folder-classes-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, names: Object.keys(files) };
}

const INIT = `CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT);`;

describe("classifyFolder", () => {
  it("judges each file on the history before it, with the statements behind its class", () => {
    const { dir, names } = folder({
      "0001_init.sql": INIT,
      "0002_note.sql": "ALTER TABLE posts ADD COLUMN note TEXT;",
      "0003_drop.sql": "ALTER TABLE posts ADD COLUMN body TEXT;\n\nALTER TABLE posts DROP COLUMN title;",
      "0004_backfill.sql": "UPDATE posts SET body = note WHERE body IS NULL;",
    });
    const c = classifyFolder(dir, names);
    expect([...c].map(([n, f]) => [n, f.class, f.replayed])).toEqual([
      ["0001_init.sql", "expand", true],
      ["0002_note.sql", "expand", true],
      ["0003_drop.sql", "mixed", true],
      ["0004_backfill.sql", "data", true],
    ]);
    expect(c.get("0003_drop.sql")?.statements).toEqual([
      { line: 1, kind: "expand", summary: "ALTER TABLE posts ADD COLUMN body" },
      { line: 3, kind: "contract", summary: "ALTER TABLE posts DROP COLUMN title" },
    ]);
  });

  it("calls a rebuild that keeps every column and row expand, where statement rules see DROP and RENAME", () => {
    const { dir, names } = folder({
      "0001_init.sql": INIT,
      "0002_default.sql": `PRAGMA foreign_keys=OFF;
CREATE TABLE __new_posts (id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT DEFAULT 'untitled');
INSERT INTO __new_posts("id", "user_id", "title") SELECT "id", "user_id", "title" FROM posts;
DROP TABLE posts;
ALTER TABLE __new_posts RENAME TO posts;
PRAGMA foreign_keys=ON;`,
    });
    expect(classifyFolder(dir, names).get("0002_default.sql")?.class).not.toBe("mixed");
  });

  it("calls a rebuild that narrows a CHECK on an old column contract: the running version's writes fail", () => {
    const { dir, names } = folder({
      "0001_init.sql":
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, state TEXT CHECK (state IN ('draft', 'live', 'gone')));",
      "0002_narrow.sql": `CREATE TABLE __new_posts (id INTEGER PRIMARY KEY, state TEXT CHECK (state IN ('draft', 'live')));
INSERT INTO __new_posts (id, state) SELECT id, state FROM posts;
DROP TABLE posts;
ALTER TABLE __new_posts RENAME TO posts;`,
      "0003_widen.sql": `CREATE TABLE __new_posts (id INTEGER PRIMARY KEY, state TEXT CHECK (state IN ('draft', 'live', 'held')));
INSERT INTO __new_posts (id, state) SELECT id, state FROM posts;
DROP TABLE posts;
ALTER TABLE __new_posts RENAME TO posts;`,
    });
    const c = classifyFolder(dir, names);
    expect(c.get("0002_narrow.sql")?.class).toBe("contract");
    expect(c.get("0003_widen.sql")?.class).toBe("expand");
  });

  it("marks a file whose statements fail on the replayed history (a table made outside migrations)", () => {
    const { dir, names } = folder({ "0001_drop.sql": "DROP TABLE legacy_sessions;" });
    expect(classifyFolder(dir, names).get("0001_drop.sql")?.replayed).toBe(false);
  });

  it("names the file and the fix when a migration is not text", () => {
    const { dir, names } = folder({ "0001_bin.sql": Buffer.from([0x43, 0x00, 0x01]) });
    expect(() => classifyFolder(dir, names)).toThrow(/cannot classify migration 0001_bin\.sql: the file is binary/);
  });
});
