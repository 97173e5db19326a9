import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { gitIn } from "../../config/fixture.js";
import { d1Analyzer } from "../../d1/analyzer.js";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase, writeProject } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

describe("d1/drop-table", () => {
  it("flags dropping a table that existed before", async () => {
    expect(await hitsAfterBase("d1/drop-table", "DROP TABLE order_items;")).toEqual([
      "d1/drop-table@0002_change.sql:1",
    ]);
  });
  it("does not flag a scratch table created in the same file, nor a rebuild", async () => {
    expect(await hitsAfterBase("d1/drop-table", "CREATE TABLE tmp (x);\nDROP TABLE tmp;")).toEqual([]);
    const rebuild = `CREATE TABLE order_items_new (id INTEGER PRIMARY KEY, order_id INTEGER NOT NULL, sku TEXT);
INSERT INTO order_items_new SELECT * FROM order_items;
DROP TABLE order_items;
ALTER TABLE order_items_new RENAME TO order_items;`;
    expect(await hitsAfterBase("d1/drop-table", rebuild)).toEqual([]);
  });
  it("judges the file's net effect: drop-and-recreate loses every row, unless the rows were copied out first", async () => {
    const recreate =
      "DROP TABLE order_items;\nCREATE TABLE order_items (id INTEGER PRIMARY KEY, order_id INTEGER, sku TEXT);";
    expect(await hitsAfterBase("d1/drop-table", recreate)).toEqual(["d1/drop-table@0002_change.sql:1"]);
    const { checkMigrations, BASE_MIGRATION } = await import("../../d1/testing.js");
    const r = await checkMigrations({ "migrations/0001.sql": BASE_MIGRATION, "migrations/0002.sql": recreate });
    expect(r.findings.find((f) => f.rule === "d1/drop-table")?.message).toContain("starts empty");
    const copied = `CREATE TABLE items_keep AS SELECT * FROM order_items WHERE 0;
INSERT INTO items_keep SELECT * FROM order_items;
${recreate}`;
    const kept = await checkMigrations({ "migrations/0001.sql": BASE_MIGRATION, "migrations/0002.sql": copied });
    expect(kept.findings.find((f) => f.rule === "d1/drop-table")?.severity).toBe("warning");
  });
  it("does not flag DROP TABLE IF EXISTS then CREATE of a table that did not exist", async () => {
    expect(await hitsAfterBase("d1/drop-table", "DROP TABLE IF EXISTS fresh;\nCREATE TABLE fresh (x);")).toEqual([]);
  });
  it("puts the table name in the fix", async () => {
    const { checkMigrations, BASE_MIGRATION } = await import("../../d1/testing.js");
    const r = await checkMigrations({
      "migrations/0001.sql": BASE_MIGRATION,
      "migrations/0002.sql": "DROP TABLE order_items;",
    });
    expect(r.findings[0]?.fix).toContain("DROP TABLE order_items;");
  });

  describe("a table nothing used", () => {
    const BASE = `${"CREATE TABLE orders (id INTEGER PRIMARY KEY, status TEXT);"}\nCREATE TABLE legacy_notes (id INTEGER PRIMARY KEY, body TEXT);`;
    const WORKER = `import { Hono } from "hono";
import { list } from "./orders";
const app = new Hono();
app.get("/", (c) => c.json(list()));
export default app;
`;
    const ORDERS = `export const list = () => "SELECT id, status FROM orders";\n`;
    const PACKAGE = JSON.stringify({ name: "app", dependencies: { hono: "^4.0.0" } });
    /** d1/drop-table on a project committed to git (code read at HEAD with --base, or from disk without it). */
    const drop = async (files: Record<string, string>, migrations: Record<string, string> = {}, base = "HEAD") => {
      const all = {
        "package.json": PACKAGE,
        "src/index.ts": WORKER,
        "src/orders.ts": ORDERS,
        "migrations/0001.sql": BASE,
        "migrations/0002.sql": "DROP TABLE legacy_notes;",
        ...files,
        ...migrations,
      };
      // The running version: its code and 0001; the migrations after it are the change being checked.
      const pending = Object.entries(all).filter(([p]) => p.startsWith("migrations/") && p !== "migrations/0001.sql");
      const dir = writeProject(
        Object.fromEntries(Object.entries(all).filter(([p]) => !pending.some(([q]) => q === p))),
      );
      const git = (...args: string[]) => execFileSync("git", ["-C", dir, ...args], { stdio: "ignore" });
      git("init", "-q");
      git("add", ".");
      git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "v1");
      for (const [p, text] of pending) writeFileSync(join(dir, p), text);
      const r = await runCheck(dir, { analyzers: [d1Analyzer], ...(base ? { base } : {}) });
      return r.findings.filter((f) => f.rule === "d1/drop-table");
    };
    it("is info when no source of the running version (--base) names it and no migration wrote a row into it", async () => {
      const [f, ...rest] = await drop({});
      expect(rest).toEqual([]);
      expect(f?.severity).toBe("info");
      expect(f?.message).toContain("which nothing used: no source file of wrangler.toml at HEAD (the running version");
      expect(f?.message).toContain(
        "names legacy_notes in any case or quoting (legacy_notes, legacynotes, legacy-notes)",
      );
      expect(f?.fix).toContain("SELECT count(*) FROM legacy_notes;");
    });
    it("stays an error without --base: the code about to be deployed may have stopped naming it in this change", async () => {
      expect((await drop({}, {}, "")).map((f) => f.severity)).toEqual(["error"]);
    });
    it("reads the running version from git for a committed drop: the code at the parent of the commit that added it", async () => {
      /** v1 runs `before` as src/orders.ts; v2 adds the drop and `after` in one commit. */
      const committed = async (before: string, after: string) => {
        const dir = writeProject({
          "package.json": PACKAGE,
          "src/index.ts": WORKER,
          "src/orders.ts": before,
          "migrations/0001.sql": BASE,
        });
        gitIn(dir, "init", "-q");
        gitIn(dir, "add", ".");
        gitIn(dir, "commit", "-qm", "v1");
        writeFileSync(join(dir, "src/orders.ts"), after);
        writeFileSync(join(dir, "migrations/0002.sql"), "DROP TABLE legacy_notes;");
        gitIn(dir, "add", ".");
        gitIn(dir, "commit", "-qm", "v2");
        const r = await runCheck(dir, { analyzers: [d1Analyzer] });
        return r.findings.filter((f) => f.rule === "d1/drop-table");
      };
      const [unused] = await committed(ORDERS, ORDERS);
      expect(unused?.severity).toBe("info");
      expect(unused?.message).toMatch(/no source file of wrangler\.toml at [0-9a-f]{10}\^ \(the running version/);
      // v1 still read the table and v2 stopped: the version running when the drop ships fails.
      const [used] = await committed(`${ORDERS}export const notes = "SELECT body FROM legacy_notes";\n`, ORDERS);
      expect(used?.severity).toBe("error");
      expect(used?.message).toContain("and the running version's queries on it fail");
    });
    it("stays an error when code names it in any spelling, a migration wrote into it, or code is imported from outside", async () => {
      const cases: Record<string, string>[] = [
        { "src/orders.ts": `${ORDERS}export const notes = 'SELECT * FROM "LEGACY_NOTES"';\n` },
        { "src/orders.ts": `${ORDERS}export const legacyNotes = db.select().from(schema.legacyNotes);\n` },
        { "migrations/0001.sql": `${BASE}\nINSERT INTO legacy_notes (body) VALUES ('hello');` },
        { "migrations/0002.sql": "INSERT INTO legacy_notes (body) VALUES ('x');\nDROP TABLE legacy_notes;" },
        {
          "src/orders.ts": `import { db } from "@app/db";\n${ORDERS}`,
          "packages/db/package.json": '{ "name": "@app/db" }',
        },
        { "src/orders.ts": `import { db } from "@app/db";\n${ORDERS}` },
        { "src/orders.ts": `import { db } from "../shared/db";\n${ORDERS}` },
      ];
      for (const files of cases)
        expect(
          (await drop(files)).map((f) => f.severity),
          JSON.stringify(files),
        ).toEqual(["error"]);
    });
    it("follows a seeded table through a rename", async () => {
      const renamed = {
        "migrations/0001.sql": `${BASE}\nCREATE TABLE old_notes (id INTEGER PRIMARY KEY, body TEXT);\nINSERT INTO old_notes (body) VALUES ('a');`,
        "migrations/0002.sql": "DROP TABLE legacy_notes;\nALTER TABLE old_notes RENAME TO legacy_notes;",
        "migrations/0003.sql": "DROP TABLE legacy_notes;",
      };
      expect((await drop({}, renamed)).map((f) => [f.file.split("/").pop(), f.severity])).toEqual([
        ["0002.sql", "info"],
        ["0003.sql", "error"],
      ]);
    });
  });
});

describe("d1/drop-table: a full-text index built again", () => {
  const fts = (refill: string) => ({
    "migrations/0001_base.sql": `${BASE_MIGRATION}\nCREATE VIRTUAL TABLE search USING fts5(sku);\nINSERT INTO search(sku) SELECT sku FROM order_items;`,
    "migrations/0002_change.sql": `DROP TABLE IF EXISTS search;\n-- with the order id\nCREATE VIRTUAL TABLE search USING fts5(sku, order_id UNINDEXED);\n${refill}`,
  });
  const of = (r: Awaited<ReturnType<typeof checkMigrations>>, rule: string) =>
    r.findings.filter((f) => f.rule === rule);

  it("reports it as info when the file fills it again from its source, and as lost rows when it does not", async () => {
    const rebuilt = await checkMigrations(
      fts("INSERT INTO search(sku, order_id) SELECT sku, order_id FROM order_items;"),
    );
    const [f] = of(rebuilt, "d1/drop-table");
    expect(f?.severity).toBe("info");
    expect(f?.message).toContain("builds it again from its source at line 4");
    expect(of(rebuilt, "d1/mixed-expand-contract")).toEqual([]);
    const fts5Rebuild = await checkMigrations(fts("INSERT INTO search(search) VALUES ('rebuild');"));
    expect(of(fts5Rebuild, "d1/drop-table")[0]?.severity).toBe("info");
    const empty = await checkMigrations(fts(""));
    expect(of(empty, "d1/drop-table")[0]?.severity).toBe("error");
    expect(of(empty, "d1/drop-table")[0]?.message).toContain("starts empty");
  });
});
