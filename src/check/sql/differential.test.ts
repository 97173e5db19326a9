import { afterEach, describe, expect, it } from "vitest";
import { checkMigrations } from "../d1/testing.js";
import { randomHistory } from "./histories.js";
import { createReplayer, type ReplayEngine } from "./replay.js";
import { splitStatements } from "./split.js";

/**
 * Subset replay (each file on a database holding only what it can touch) must change nothing: every file's outcome,
 * the schema model and the findings are the same as on one whole database. `verify` replays both and throws on the
 * first file that differs.
 */

function replayBoth(files: Record<string, string>): void {
  const r = createReplayer({ engine: "verify" });
  try {
    for (const [name, sql] of Object.entries(files)) {
      const split = splitStatements(sql);
      r.applyFile(name, split.statements, split.problems[0]?.offset);
    }
  } finally {
    r.close();
  }
}

async function findingsWith(engine: ReplayEngine, files: Record<string, string>): Promise<string> {
  process.env.BLASTWALL_REPLAY = engine;
  const prefixed = Object.fromEntries(Object.entries(files).map(([k, v]) => [`migrations/${k}`, v]));
  const result = await checkMigrations(prefixed);
  return JSON.stringify(result.findings.map(({ file, ...f }) => ({ ...f, file: file.split("/").pop() })));
}

describe("subset replay vs whole-database replay", () => {
  afterEach(() => {
    delete process.env.BLASTWALL_REPLAY;
  });

  it("gives the same outcome, file by file, on 400 seeded random histories", () => {
    for (let seed = 1; seed <= 400; seed++) {
      const files = randomHistory(seed, { files: 4 + (seed % 12), statements: 1 + (seed % 6) });
      try {
        replayBoth(files);
      } catch (err) {
        throw new Error(`seed ${seed}: ${(err as Error).message}`);
      }
    }
  });

  it("gives the same findings on 40 seeded random histories", async () => {
    for (let seed = 1001; seed <= 1040; seed++) {
      const files = randomHistory(seed, { files: 8, statements: 4 });
      expect(await findingsWith("subset", files), `seed ${seed}`).toBe(await findingsWith("whole", files));
    }
  });

  it("copies children that referenced a table before the file made it, and the tables a new trigger writes", () => {
    replayBoth({
      "0001.sql":
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\nCREATE TABLE t1 (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES tags (b) ON DELETE CASCADE);\nINSERT INTO users (id) VALUES (1);",
      "0002.sql":
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, b INTEGER, p_id INTEGER REFERENCES users ON DELETE SET DEFAULT);\nINSERT INTO tags VALUES (1, 1, 1);\nDROP TABLE users;",
    });
    replayBoth({
      "0001.sql":
        "CREATE TABLE o (id INTEGER PRIMARY KEY);\nCREATE TABLE u (id INTEGER PRIMARY KEY, o_id INTEGER REFERENCES o (id));\nCREATE TABLE a (id INTEGER PRIMARY KEY, n TEXT);\nINSERT INTO a (id) VALUES (1);",
      "0002.sql":
        "CREATE TRIGGER ta AFTER UPDATE ON a BEGIN INSERT INTO u (id, o_id) VALUES (7, 9); END;\nUPDATE a SET n = 'x';",
    });
  });

  it("leaves out the children of a table only UPDATEd with their key kept, and only then", () => {
    replayBoth({
      "0001.sql":
        "CREATE TABLE p (id INTEGER PRIMARY KEY, a TEXT, b INTEGER);\nCREATE TABLE c (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p ON UPDATE CASCADE);\nCREATE TABLE m (id INTEGER PRIMARY KEY, p_b INTEGER REFERENCES p (b));\nINSERT INTO p VALUES (1, 'x', 1);\nINSERT INTO c VALUES (1, 1);",
      "0002.sql": "UPDATE p SET a = 'y';",
      "0003.sql": "UPDATE p SET (id, a) = (2, 'z');",
      "0004.sql": "DROP TABLE m;\nUPDATE p SET a = 'w';\nUPDATE p SET id = 3;",
    });
  });

  it("runs on one database from the first file with a PRAGMA, a TEMP object or a virtual table", () => {
    replayBoth({
      "0001.sql":
        "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE c (id INTEGER PRIMARY KEY, p_id REFERENCES p (id) ON DELETE CASCADE);",
      "0002.sql": "PRAGMA recursive_triggers = ON;\nINSERT INTO p (id) VALUES (1);",
      "0003.sql": "CREATE TRIGGER t AFTER DELETE ON c BEGIN DELETE FROM c WHERE id = old.id + 1; END;\nDELETE FROM p;",
    });
    replayBoth({
      "0001.sql":
        "CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO doc (body) VALUES ('a b'), ('c');",
      "0002.sql":
        "CREATE VIRTUAL TABLE doc_fts USING fts5(body, content='doc', content_rowid='id');\nINSERT INTO doc_fts (doc_fts) VALUES ('rebuild');",
      "0003.sql": "ALTER TABLE doc ADD COLUMN title TEXT;\nINSERT INTO doc_fts (rowid, body) SELECT id, body FROM doc;",
      "0004.sql": "CREATE TEMP TABLE scratch (x);\nALTER TABLE doc RENAME TO docs;",
    });
  });
});
