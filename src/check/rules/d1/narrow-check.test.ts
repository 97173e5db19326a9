import { describe, expect, it } from "vitest";
import { checkMigrations } from "../../d1/testing.js";

const BASE = `CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('news', 'tech', 'life', 'food', 'travel', 'music', 'misc'))
);
CREATE INDEX posts_category ON posts (category);
`;

/** drizzle-kit's rebuild of posts with `check` as the category column's constraint. */
const drizzleRebuild = (check: string) => `PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE \`__new_posts\` (
\t\`id\` integer PRIMARY KEY,
\t\`title\` text NOT NULL,
\t\`category\` text NOT NULL,
\tCONSTRAINT "category_check" CHECK(${check})
);
--> statement-breakpoint
INSERT INTO \`__new_posts\`("id", "title", "category") SELECT "id", "title", "category" FROM \`posts\`;--> statement-breakpoint
DROP TABLE \`posts\`;--> statement-breakpoint
ALTER TABLE \`__new_posts\` RENAME TO \`posts\`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX posts_category ON posts (category);`;

const WRITES_MUSIC = `export default {
  async fetch(_req: Request, env: { DB: D1Database }) {
    await env.DB.prepare("INSERT INTO posts (title, category) VALUES (?, 'music')").bind("x").run();
    return new Response("ok");
  },
};
`;
const WRITES_NEWS = WRITES_MUSIC.replace("'music'", "'news'");

async function narrowHits(change: string, extra: Record<string, string> = {}) {
  const result = await checkMigrations({
    "migrations/0001_init.sql": BASE,
    "migrations/0002_change.sql": change,
    ...extra,
  });
  return result.findings
    .filter((f) => f.rule === "d1/narrow-check")
    .map((f) => ({ at: `${f.file.split("/").pop()}:${f.line}`, severity: f.severity, message: f.message }));
}

describe("d1/narrow-check", () => {
  it("flags a drizzle rebuild that narrows an IN list the running version still writes, as an error on the copy", async () => {
    const found = await narrowHits(drizzleRebuild(`"__new_posts"."category" in ('news', 'tech', 'life')`), {
      "src/index.ts": WRITES_MUSIC,
    });
    expect(found.map((f) => [f.at, f.severity])).toEqual([["0002_change.sql:9", "error"]]);
    expect(found[0]?.message).toContain("no longer allows 'food', 'travel', 'music', 'misc'");
    expect(found[0]?.message).toContain("still writes 'music'");
  });

  it("warns when no Worker code names a removed value: old rows still make the copy fail", async () => {
    const found = await narrowHits(drizzleRebuild("category IN ('news', 'tech', 'life')"), {
      "src/index.ts": WRITES_NEWS,
    });
    expect(found.map((f) => f.severity)).toEqual(["warning"]);
  });

  it("counts a value as written only in a file that names the table, and says when the copy maps old rows", async () => {
    const elsewhere = "export const label = (s: string) => (s === 'music' ? 'Music' : s);\n";
    const mapped = drizzleRebuild("category IN ('news', 'tech', 'life')").replace(
      'SELECT "id", "title", "category" FROM',
      `SELECT "id", "title", CASE WHEN "category" IN ('food', 'travel', 'music', 'misc') THEN 'life' ELSE "category" END FROM`,
    );
    const found = await narrowHits(mapped, { "src/index.ts": WRITES_NEWS, "src/label.ts": elsewhere });
    expect(found.map((f) => f.severity)).toEqual(["info"]);
    expect(found[0]?.message).toContain("the file moves rows off them in or before the copy");
    const still = await narrowHits(mapped, { "src/index.ts": WRITES_MUSIC });
    expect(still.map((f) => f.severity)).toEqual(["warning"]);
  });

  it("flags a CHECK added to an existing column by a rebuild", async () => {
    const found =
      await narrowHits(`CREATE TABLE posts_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL CHECK (length(title) <= 80),
  category TEXT NOT NULL CHECK (category IN ('news', 'tech', 'life', 'food', 'travel', 'music', 'misc')));
INSERT INTO posts_new SELECT * FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;`);
    // No row or write is known to break it: info until --data tries the copy.
    expect(found.map((f) => [f.at, f.severity])).toEqual([["0002_change.sql:3", "info"]]);
    expect(found[0]?.message).toContain("length(title) <= 80");
    expect(found[0]?.message).toContain("run with --data");
  });

  it("with --data, keeps a CHECK where the old table had none a warning: the running version's writes stay unknown", async () => {
    const change = `CREATE TABLE posts_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL CHECK (length(title) <= 80),
  category TEXT NOT NULL CHECK (category IN ('news', 'tech', 'life', 'food', 'travel', 'music', 'misc')));
INSERT INTO posts_new SELECT * FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;`;
    const prod = `CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);
INSERT INTO d1_migrations (name) VALUES ('0001_init.sql');
${BASE}
INSERT INTO posts (id, title, category) VALUES (1, 'short', 'news');`;
    const r = await checkMigrations(
      { "migrations/0001_init.sql": BASE, "migrations/0002_change.sql": change, "prod.sql": prod },
      "prod.sql",
    );
    const found = r.findings.filter((f) => f.rule === "d1/narrow-check");
    expect(found.map((f) => f.severity)).toEqual(["warning"]);
    expect(found[0]?.message).not.toContain("run with --data");
  });

  it("does not flag a CHECK that only a NULL in an old NOT NULL column could break, but flags one a value breaks", async () => {
    const rebuild = (
      check: string,
    ) => `CREATE TABLE posts_new (id INTEGER PRIMARY KEY, title TEXT NOT NULL, author_id TEXT,
  category TEXT NOT NULL CHECK (category IN ('news', 'tech', 'life', 'food', 'travel', 'music', 'misc')),
  CHECK (${check}));
INSERT INTO posts_new (id, title, author_id, category) SELECT id, title, NULL, category FROM posts;
DROP TABLE posts;
ALTER TABLE posts_new RENAME TO posts;`;
    expect(await narrowHits(rebuild("(author_id IS NOT NULL) + (title IS NOT NULL) = 1"))).toEqual([]);
    const found = await narrowHits(rebuild("title <> 'draft'"));
    expect(found.map((f) => [f.at, f.severity])).toEqual([["0002_change.sql:4", "info"]]);
  });

  it("does not flag a widened IN list, nor one re-quoted and re-ordered", async () => {
    expect(
      await narrowHits(drizzleRebuild("category IN ('news','tech','life','food','travel','music','misc','art')")),
    ).toEqual([]);
    expect(
      await narrowHits(
        drizzleRebuild(`"category" in ('misc', 'music', 'travel', 'food', 'life', 'tech', 'news') /* same */`),
      ),
    ).toEqual([]);
  });

  it("does not flag a table created in the same file", async () => {
    expect(
      await narrowHits(`CREATE TABLE tags (id INTEGER PRIMARY KEY, kind TEXT CHECK (kind IN ('a', 'b', 'c')));
CREATE TABLE __new_tags (id INTEGER PRIMARY KEY, kind TEXT CHECK (kind IN ('a')));
INSERT INTO __new_tags SELECT * FROM tags;
DROP TABLE tags;
ALTER TABLE __new_tags RENAME TO tags;`),
    ).toEqual([]);
  });

  it("is info when the file moves the old rows first and no Worker code writes the removed values", async () => {
    const found = await narrowHits(
      `UPDATE posts SET category = 'life' WHERE category IN ('food', 'travel', 'music', 'misc');\n${drizzleRebuild("category IN ('news', 'tech', 'life')")}`,
      { "src/index.ts": WRITES_NEWS },
    );
    expect(found.map((f) => f.severity)).toEqual(["info"]);
  });

  it("flags DROP + CREATE with a narrower CHECK while the running version writes a removed value", async () => {
    const recreate = `DROP TABLE posts;
CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL, category TEXT NOT NULL CHECK (category IN ('news', 'tech')));`;
    expect((await narrowHits(recreate, { "src/index.ts": WRITES_MUSIC })).map((f) => [f.at, f.severity])).toEqual([
      ["0002_change.sql:2", "error"],
    ]);
    expect((await narrowHits(recreate, { "src/index.ts": WRITES_NEWS })).map((f) => f.severity)).toEqual(["info"]);
  });

  it("does not flag a CHECK on a column the rebuild adds (the running version never writes it)", async () => {
    expect(
      await narrowHits(`ALTER TABLE posts RENAME TO posts_legacy;
CREATE TABLE posts (id INTEGER PRIMARY KEY, title TEXT NOT NULL,
  category TEXT NOT NULL CHECK (category IN ('news', 'tech', 'life', 'food', 'travel', 'music', 'misc')),
  role TEXT NOT NULL DEFAULT 'member' CHECK (role IN ('admin', 'member')));
INSERT INTO posts (id, title, category) SELECT id, title, category FROM posts_legacy;
DROP TABLE posts_legacy;`),
    ).toEqual([]);
  });
});
