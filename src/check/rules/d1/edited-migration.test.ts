import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitIn, writeProject } from "../../config/fixture.js";
import { d1Analyzer } from "../../d1/analyzer.js";
import { writeLock } from "../../d1/lock.js";
import { migrationHistory as history, TEST_WRANGLER } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

const BASE = "CREATE TABLE content (id INTEGER PRIMARY KEY, title TEXT);";
const WIDER = "CREATE TABLE content (\n  id INTEGER PRIMARY KEY,\n  title TEXT,\n  parent_id INTEGER\n);";
const NEXT = "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);";

async function edited(dir: string, base?: string) {
  const r = await runCheck(dir, { analyzers: [d1Analyzer], ...(base ? { base } : {}) });
  return r.findings.filter((f) => f.rule === "d1/edited-migration");
}

describe("d1/edited-migration", () => {
  it("flags a migration edited after a later one was committed, naming what old databases lack", async () => {
    const dir = history([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_tags.sql": NEXT },
      { "migrations/0001_base.sql": `-- widened\n${WIDER}` },
    ]);
    const [hit, more] = await edited(dir);
    expect(more).toBeUndefined();
    expect(hit?.severity).toBe("warning");
    expect(hit?.file).toBe("migrations/0001_base.sql");
    expect(hit?.line).toBe(2);
    expect(hit?.message).toMatch(/0001_base\.sql changed in commit [0-9a-f]{7} \(\d{4}-\d\d-\d\d\) after it shipped/);
    expect(hit?.message).toMatch(/0002_tags\.sql was added after it/);
    expect(hit?.message).toMatch(/lack column content\.parent_id \(INTEGER\)/);
    expect(hit?.fix).toMatch(/git show [0-9a-f]{7}:\.\/migrations\/0001_base\.sql > migrations\/0001_base\.sql/);
  });

  it("is info when only non-unique indexes differ, unless a later file creates or drops one of them unguarded", async () => {
    const withIndex = `${BASE}\nCREATE INDEX idx_content_title ON content (title);`;
    const severities = async (later: string, edit: string) =>
      (
        await edited(
          history([
            { "migrations/0001_base.sql": withIndex },
            { "migrations/0002_tags.sql": later },
            { "migrations/0001_base.sql": edit },
          ]),
        )
      ).map((f) => f.severity);
    // New databases get the index from 0002 as well: both sides end alike, which was quiet already.
    const guarded = `${NEXT}\nCREATE INDEX IF NOT EXISTS idx_content_title ON content (title);`;
    expect(await severities(guarded, BASE)).toEqual([]);
    // Only old databases keep the index: queries answer alike, only slower on new ones.
    expect(await severities(NEXT, BASE)).toEqual(["info"]);
    // A later file creates it without IF NOT EXISTS: on old databases that file fails.
    const trips = history([
      { "migrations/0001_base.sql": withIndex },
      { "migrations/0002_tags.sql": NEXT },
      {
        "migrations/0001_base.sql": BASE,
        "migrations/0003_index.sql": "CREATE INDEX idx_content_title ON content (title);",
      },
    ]);
    expect((await edited(trips)).map((f) => [f.file, f.severity])).toEqual([["migrations/0001_base.sql", "warning"]]);
    // A UNIQUE index decides which writes succeed.
    const unique = `${BASE}\nCREATE UNIQUE INDEX idx_content_title ON content (title);`;
    expect(
      (
        await edited(
          history([
            { "migrations/0001_base.sql": BASE },
            { "migrations/0002_tags.sql": NEXT },
            { "migrations/0001_base.sql": unique },
          ]),
        )
      ).map((f) => f.severity),
    ).toEqual(["warning"]);
  });

  it("stays quiet when the shipped text could not be parsed: wrangler's apply failed and recorded nothing", async () => {
    const seed = "INSERT INTO content (id, title) VALUES\n(1, 'a'),\n(2, 'b')";
    const broken = history([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_seed.sql": `${seed},` },
      { "migrations/0003_tags.sql": NEXT },
      { "migrations/0002_seed.sql": `${seed};` },
    ]);
    expect(await edited(broken)).toEqual([]);
    // The same edit of a text that ran is reported.
    const ran = history([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_seed.sql": `${seed};` },
      { "migrations/0003_tags.sql": NEXT },
      { "migrations/0002_seed.sql": `${seed},\n(3, 'c');` },
    ]);
    expect((await edited(ran)).map((f) => f.file)).toEqual(["migrations/0002_seed.sql"]);
  });

  it("flags an uncommitted edit and, with --base, any edit of a file at that ref", async () => {
    const pending = history([{ "migrations/0001_base.sql": BASE }, { "migrations/0002_tags.sql": NEXT }], {
      "migrations/0001_base.sql": `${BASE}\nDELETE FROM content WHERE title IS NULL;`,
    });
    const [hit] = await edited(pending);
    expect(hit?.message).toMatch(/changed in the working tree after it shipped/);
    expect(hit?.message).toMatch(/never ran DELETE content/);

    const based = history([{ "migrations/0001_base.sql": BASE }, { "migrations/0001_base.sql": WIDER }]);
    expect(await edited(based)).toEqual([]); // no later migration: it may never have been applied
    gitIn(based, "tag", "prod", "HEAD~1");
    const [atBase] = await edited(based, "prod");
    expect(atBase?.message).toMatch(/it is at --base prod/);
  });

  it("leaves to d1/lock-mismatch an edit that migrations.lock already reports", async () => {
    const dir = history([{ "migrations/0001_base.sql": BASE }, { "migrations/0002_tags.sql": NEXT }]);
    const m = join(dir, "migrations");
    writeLock(
      m,
      ["0001_base.sql", "0002_tags.sql"].map((name) => ({ name, content: readFileSync(join(m, name)) })),
    );
    writeFileSync(join(m, "0001_base.sql"), WIDER);
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    const rules = r.findings.filter((f) => f.file === "migrations/0001_base.sql").map((f) => f.rule);
    expect(rules).toContain("d1/lock-mismatch");
    expect(rules).not.toContain("d1/edited-migration");
  });

  it("stays quiet when edits move a column between shipped files, and not when only one side moved", async () => {
    const ALTER = "ALTER TABLE content ADD COLUMN parent_id INTEGER;";
    const shipped: Record<string, string>[] = [
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_parent.sql": ALTER },
      { "migrations/0003_tags.sql": NEXT },
    ];
    const moved = history([
      ...shipped,
      { "migrations/0001_base.sql": WIDER, "migrations/0002_parent.sql": "-- folded into 0001\n" },
    ]);
    expect(await edited(moved)).toEqual([]);
    const half = history([...shipped, { "migrations/0002_parent.sql": "-- folded into 0001\n" }]);
    expect((await edited(half)).map((f) => f.file)).toEqual(["migrations/0002_parent.sql"]);
  });

  it("stays quiet for an edit a later migration makes anyway, while another edit in the folder is reported", async () => {
    const rebuild = `CREATE TABLE links_new (id INTEGER PRIMARY KEY, slug TEXT);
INSERT INTO links_new (id, slug) SELECT id, slug FROM links;
DROP TABLE links;
ALTER TABLE links_new RENAME TO links;`;
    const dir = history([
      { "migrations/0001_links.sql": "CREATE TABLE links (id INTEGER PRIMARY KEY, slug TEXT, tags TEXT);" },
      { "migrations/0002_no_tags.sql": rebuild },
      { "migrations/0003_tags.sql": NEXT },
      { "migrations/0004_more.sql": "CREATE TABLE more (id INTEGER PRIMARY KEY);" },
      {
        "migrations/0001_links.sql": "CREATE TABLE links (id INTEGER PRIMARY KEY, slug TEXT);",
        "migrations/0003_tags.sql": NEXT.replace("name TEXT", "name TEXT, color TEXT"),
      },
    ]);
    expect((await edited(dir)).map((f) => f.file)).toEqual(["migrations/0003_tags.sql"]);
  });

  it("stays quiet when an edit leaves old databases without only a marker table that nothing reads", async () => {
    const ALTER = "ALTER TABLE content ADD COLUMN parent_id INTEGER;";
    const marker = `CREATE TABLE IF NOT EXISTS _migration_0002_done (id INTEGER PRIMARY KEY);
INSERT OR IGNORE INTO _migration_0002_done (id) VALUES (1);`;
    const commits = (worker: string): Record<string, string>[] => [
      { "migrations/0001_base.sql": BASE, "src/index.ts": worker },
      { "migrations/0002_parent.sql": ALTER },
      { "migrations/0003_tags.sql": NEXT },
      // The column moves into 0001; 0002 becomes a marker so that it still does something.
      { "migrations/0001_base.sql": WIDER, "migrations/0002_parent.sql": marker },
    ];
    const quiet = history(commits("export default { fetch: () => new Response('ok') };\n"));
    expect(await edited(quiet)).toEqual([]);
    // The running code reads the marker: old databases lack a table it queries.
    const read = history(
      commits(
        "export default { fetch: (_r: Request, env: { DB: D1Database }) => env.DB.prepare('SELECT id FROM _migration_0002_done').all() };\n",
      ),
    );
    expect((await edited(read)).map((f) => f.file)).toEqual(["migrations/0002_parent.sql"]);
    // A later migration names the marker table, so it is no marker.
    const later = history([
      ...commits("export default { fetch: () => new Response('ok') };\n"),
      { "migrations/0004_drop_marker.sql": "INSERT INTO _migration_0002_done (id) VALUES (2);" },
    ]);
    expect((await edited(later)).map((f) => f.file)).toEqual(["migrations/0002_parent.sql"]);
  });

  it("says when a shipped migration was renamed: wrangler applies it again", async () => {
    const long = (extra: string) =>
      `CREATE TABLE content (\n${["id INTEGER PRIMARY KEY", "title TEXT", "body TEXT", "slug TEXT", "author TEXT", "created_at TEXT", extra].join(",\n")}\n);`;
    const dir = history([
      { "migrations/m1.sql": long("updated_at TEXT") },
      { "migrations/m2.sql": NEXT },
      { "migrations/m1.sql": null, "migrations/0001_base.sql": long("parent_id INTEGER") },
    ]);
    const [hit] = await edited(dir);
    expect(hit?.message).toMatch(/renamed from m1\.sql, so wrangler runs it again under its new name/);
    // The re-run meets the table the old name made, and wrangler stops there.
    expect(hit?.message).toMatch(/stops at line 1 \(CREATE TABLE content\): "table content already exists"/);
    expect(hit?.fix).toMatch(
      /git show [0-9a-f]{7}:\.\/migrations\/m1\.sql > migrations\/m1\.sql`, then `git rm migrations\/0001_base\.sql/,
    );
  });

  it("flags a shipped migration renamed with its text alike when the re-run fails, and not when it goes through", async () => {
    const seed = "INSERT INTO content (id, title) VALUES (1, 'home');";
    const renamed = (text: string) =>
      history([
        { "migrations/0001_base.sql": BASE, "migrations/0002_seed.sql": text },
        { "migrations/0003_tags.sql": NEXT },
        { "migrations/0002_seed.sql": null, "migrations/0004_seed.sql": text },
      ]);
    const [hit, more] = await edited(renamed(seed));
    expect(more).toBeUndefined();
    expect(hit?.file).toBe("migrations/0004_seed.sql");
    expect(hit?.line).toBe(1);
    expect(hit?.message).toMatch(/0004_seed\.sql was renamed from 0002_seed\.sql .* after it shipped/);
    expect(hit?.message).toMatch(/stops at line 1 \(INSERT content\): "UNIQUE constraint failed: content\.id"/);
    expect(hit?.fix).toMatch(/git mv migrations\/0004_seed\.sql migrations\/0002_seed\.sql/);
    // Safe to run twice: nothing to report.
    expect(await edited(renamed(seed.replace("INSERT", "INSERT OR IGNORE")))).toEqual([]);
  });

  it("stays quiet for a fix before anything was added on top, or in the commit that adds the next migration", async () => {
    expect(
      await edited(history([{ "migrations/0001_base.sql": BASE }, { "migrations/0001_base.sql": WIDER }])),
    ).toEqual([]);
    const sameCommit = history([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0001_base.sql": WIDER, "migrations/0002_tags.sql": NEXT },
    ]);
    expect(await edited(sameCommit)).toEqual([]);
  });

  it("stays quiet when only comments, case, spacing or IF NOT EXISTS changed", async () => {
    const dir = history([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_tags.sql": NEXT },
      {
        "migrations/0001_base.sql":
          "-- the base\ncreate table if not exists CONTENT (\n  id integer primary key,\n  title text\n);\n",
      },
    ]);
    expect(await edited(dir)).toEqual([]);
  });

  it("stays quiet for a squash: later migrations folded into the first leave the same schema", async () => {
    const dir = history([
      { "migrations/0001_base.sql": BASE },
      { "migrations/0002_parent.sql": "ALTER TABLE content ADD COLUMN parent_id INTEGER;" },
      { "migrations/0002_parent.sql": null, "migrations/0001_base.sql": WIDER },
    ]);
    expect(await edited(dir)).toEqual([]);
  });

  it("reads a migration as shipped once pushed when a workflow applies migrations on every push", async () => {
    const workflow = (on: string, run: string) => ({
      ".github/workflows/deploy.yml": `name: deploy\non:\n  ${on}\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: ${run}\n`,
    });
    const pushed = (files: Record<string, string>, minutes: number) =>
      history([{ ...files, "migrations/0001_base.sql": BASE }, { "migrations/0001_base.sql": WIDER }], {}, { minutes });
    const direct = workflow("push:\n    branches: [main]", "npx wrangler d1 migrations apply db --remote");
    const [hit] = await edited(pushed(direct, 40));
    expect(hit?.message).toMatch(/\.github\/workflows\/deploy\.yml:10 applies migrations on every push/);
    expect(hit?.message).toMatch(/came 40 minutes before the edit/);
    expect(hit?.message).toMatch(/lack column content\.parent_id/);
    // Through a package.json script that applies them remotely.
    const viaScript = {
      ...workflow("[push]", "npm run db:migrate:prod"),
      "package.json": JSON.stringify({ scripts: { "db:migrate:prod": "wrangler d1 migrations apply db --remote" } }),
    };
    expect(await edited(pushed(viaScript, 40))).toHaveLength(1);

    // Minutes apart (likely pushed together), a manual trigger, a local apply or a database made per run: not shipped.
    expect(await edited(pushed(direct, 5))).toEqual([]);
    expect(
      await edited(pushed(workflow("workflow_dispatch:", "npx wrangler d1 migrations apply db --remote"), 40)),
    ).toEqual([]);
    expect(await edited(pushed(workflow("push:", "npx wrangler d1 migrations apply db --local"), 40))).toEqual([]);
    const throwaway = workflow(
      "push:",
      "npx wrangler d1 create ci-db && npx wrangler d1 migrations apply ci-db --remote",
    );

    expect(await edited(pushed(throwaway, 40))).toEqual([]);
  });

  it("reads a migration as shipped once committed apart when operators run the files by hand with d1 execute", async () => {
    const told = (flag: string) =>
      `-- Apply once: wrangler d1 execute db ${flag} --file migrations/0001_base.sql\nCREATE TABLE IF NOT EXISTS content (id INTEGER PRIMARY KEY, title TEXT);`;
    const widened = (flag: string) => told(flag).replace("title TEXT", "title TEXT, parent_id INTEGER");
    const byHand = (first: string, then: string, minutes: number, files: Record<string, string> = {}) =>
      history([{ ...files, "migrations/0001_base.sql": first }, { "migrations/0001_base.sql": then }], {}, { minutes });
    const [hit, more] = await edited(byHand(told("--remote"), widened("--remote"), 23));
    expect(more).toBeUndefined();
    expect(hit?.message).toMatch(
      /0001_base\.sql:1 tells operators to run migrations by hand with `wrangler d1 execute/,
    );
    expect(hit?.message).toMatch(/came 23 minutes before the edit/);
    expect(hit?.message).toMatch(/lack column content\.parent_id/);
    // A package.json script that runs the file on the remote database says the same.
    const script = {
      "package.json": JSON.stringify({
        scripts: { "db:prod": "wrangler d1 execute db --remote --file=migrations/0001_base.sql" },
      }),
    };
    const [viaScript] = await edited(byHand(BASE, WIDER, 30, script));
    expect(viaScript?.message).toMatch(/the `db:prod` script \(\.\.\/package\.json:\d+\) runs migrations by hand/);

    // Minutes apart, or a comment that only runs it on the dev database: not shipped.
    expect(await edited(byHand(told("--remote"), widened("--remote"), 5))).toEqual([]);
    expect(await edited(byHand(told("--local"), widened("--local"), 40))).toEqual([]);
  });

  it("reads a branch's edits before its merge as the text that shipped, and reports an edit after the merge", async () => {
    /** Commits each set of files on `branch` (made from main when new). */
    const commitOn = (dir: string, branch: string, sets: Record<string, string>[]) => {
      gitIn(dir, "checkout", "-q", "-B", branch);
      for (const [i, files] of sets.entries()) {
        writeProject(files, dir);
        gitIn(dir, "add", "-A");
        gitIn(dir, "commit", "-q", "-m", `${branch} ${i}`);
      }
    };
    const onBranch: Record<string, string>[] = [
      { "migrations/0002_tags.sql": NEXT },
      { "migrations/0001_base.sql": WIDER },
    ];
    const dir = history([{ "migrations/0001_base.sql": BASE }]);
    gitIn(dir, "branch", "-M", "main");
    commitOn(dir, "feature", onBranch);
    gitIn(dir, "checkout", "-q", "main");
    gitIn(dir, "merge", "-q", "--no-ff", "-m", "merge feature", "feature");
    expect(await edited(dir)).toEqual([]);
    writeProject({ "migrations/0001_base.sql": `${WIDER}\nCREATE INDEX content_parent ON content (parent_id);` }, dir);
    gitIn(dir, "commit", "-q", "-am", "after the merge");
    const [hit] = await edited(dir);
    expect(hit?.message).toMatch(/on the branch that merge [0-9a-f]{7} brought in/);
    expect(hit?.message).toMatch(/lack index content_parent on content/);

    // `git pull` merged the shared main into a local branch: main's side shipped, so its edit counts.
    const pulled = history([{ "migrations/0001_base.sql": BASE }]);
    gitIn(pulled, "branch", "-M", "main");
    commitOn(pulled, "local", [{ "notes.md": "local work" }]);
    gitIn(pulled, "checkout", "-q", "main");
    commitOn(pulled, "main", onBranch);
    gitIn(pulled, "checkout", "-q", "local");
    gitIn(pulled, "merge", "-q", "--no-ff", "-m", "Merge branch 'main' of github.com:acme/app", "main");
    expect(await edited(pulled)).toHaveLength(1);
  });

  it("reports nothing outside a git repository", async () => {
    const dir = writeProject({
      "wrangler.toml": TEST_WRANGLER,
      "migrations/0001_base.sql": WIDER,
      "migrations/0002_tags.sql": NEXT,
    });
    expect(await edited(dir)).toEqual([]);
  });
});
