import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadDataSnapshot } from "./data.js";
import { writeProject } from "./testing.js";

/** The shape `wrangler d1 export` writes (miniflare's dumpSql): children may come before parents. */
const EXPORT = `PRAGMA defer_foreign_keys=TRUE;
CREATE TABLE d1_migrations(
\t\tid         INTEGER PRIMARY KEY AUTOINCREMENT,
\t\tname       TEXT UNIQUE,
\t\tapplied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);
INSERT INTO "d1_migrations" VALUES(1,'0001_init.sql','2026-01-01 00:00:00');
CREATE TABLE IF NOT EXISTS "order_items" (order_id INTEGER REFERENCES "orders" (id) ON DELETE CASCADE, sku TEXT);
INSERT INTO "order_items" VALUES(1,'it''s;fine');
CREATE TABLE IF NOT EXISTS "orders" (id INTEGER PRIMARY KEY);
INSERT INTO "orders" VALUES(1);
DELETE FROM sqlite_sequence;
INSERT INTO "sqlite_sequence" VALUES('d1_migrations',1);
`;

describe("loadDataSnapshot", () => {
  it("loads a wrangler d1 export dump into a private in-memory database", () => {
    const dir = writeProject({ "prod.sql": EXPORT });
    const db = loadDataSnapshot(join(dir, "prod.sql"));
    expect(db.prepare("SELECT count(*) AS n FROM order_items").get()).toEqual({ n: 1 });
    expect(db.prepare("SELECT name FROM d1_migrations").all()).toEqual([{ name: "0001_init.sql" }]);
    expect(db.memory).toBe(true);
    db.close();
  });

  it("names the line of a dump statement that does not load", () => {
    const dir = writeProject({});
    writeFileSync(join(dir, "bad.sql"), "CREATE TABLE a (x);\nINSERT INTO b VALUES (1);\n");
    expect(() => loadDataSnapshot(join(dir, "bad.sql"), "bad.sql")).toThrowError(
      expect.objectContaining({ kind: "input", location: expect.objectContaining({ file: "bad.sql", line: 2 }) }),
    );
    writeFileSync(join(dir, "cut.sql"), "CREATE TABLE a (x);\nINSERT INTO a VALUES ('trunc");
    expect(() => loadDataSnapshot(join(dir, "cut.sql"), "cut.sql")).toThrowError(/unterminated string/);
  });
});
