import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadProject } from "../../project/discover.js";
import { runCheck } from "../run-check.js";
import { d1Analyzer } from "./analyzer.js";
import { BASE_MIGRATION, checkMigrations, hits, TEST_WRANGLER, writeProject } from "./testing.js";

const shop = fileURLToPath(new URL("../../../examples/shop", import.meta.url));

describe("d1 analyzer", () => {
  it("checks examples/shop clean, analysing the migrations dir both Workers share once", async () => {
    const r = await runCheck(shop, { analyzers: [d1Analyzer] });
    expect(r.findings).toEqual([]);
    expect(r.migrations.map((m) => [m.file, m.class])).toEqual([
      ["migrations/0001_create_orders.sql", "expand"],
      ["migrations/0002_create_order_items.sql", "expand"],
      ["migrations/0003_create_processed_events.sql", "expand"],
      ["migrations/0004_add_orders_item_count.sql", "expand"],
    ]);
    expect(r.migrations[0]?.database).toContain("api/wrangler.jsonc");
    expect(r.migrations[0]?.database).toContain("consumer/wrangler.jsonc");
  });

  it("classifies expand, contract, data and mixed", async () => {
    const r = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_expand.sql": "ALTER TABLE orders ADD COLUMN state TEXT;",
      "migrations/0003_data.sql": "UPDATE orders SET state = status WHERE state IS NULL;",
      "migrations/0004_contract.sql":
        "-- blastwall-ignore d1/drop-column: v7 reads state\nALTER TABLE orders DROP COLUMN status;",
      "migrations/0005_mixed.sql":
        "CREATE INDEX ix_state ON orders (state);\nDELETE FROM order_items WHERE sku IS NULL;",
    });
    expect(r.migrations.map((m) => m.class)).toEqual(["expand", "expand", "data", "contract", "mixed"]);
  });

  it("reads D1 bindings in env sections and migrations_table", async () => {
    const wrangler = `${TEST_WRANGLER.replace('migrations_dir = "migrations"', 'migrations_dir = "migrations"\nmigrations_table = "schema_log"')}
[[env.staging.d1_databases]]
binding = "DB"
database_name = "app-staging"
database_id = "11111111-0000-0000-0000-000000000000"
migrations_dir = "staging-migrations"
`;
    const dir = writeProject(
      {
        "migrations/0001.sql": "INSERT INTO schema_log (name) VALUES ('x');",
        "staging-migrations/0001.sql": "CREATE TABLE s (x);\nDROP TABLE s;",
      },
      wrangler,
    );
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    expect(hits(r)).toEqual(["d1/reserved-table@0001.sql:1"]);
    expect(r.migrations.map((m) => m.file)).toEqual(["migrations/0001.sql", "staging-migrations/0001.sql"]);
  });

  it("applies files in the order of the project's own wrangler release", async () => {
    const history = {
      "migrations/10_c.sql": "ALTER TABLE t ADD COLUMN c TEXT;",
      "migrations/9_b.sql": "ALTER TABLE t ADD COLUMN b TEXT;",
      "migrations/1_a.sql": "CREATE TABLE t (a);",
    };
    const wranglerAt = (version: string) => ({
      "node_modules/wrangler/package.json": JSON.stringify({ name: "wrangler", version }),
    });
    const numeric = await checkMigrations({ ...history, ...wranglerAt("4.98.0") });
    expect(numeric.migrations.map((m) => m.file)).toEqual([
      "migrations/1_a.sql",
      "migrations/9_b.sql",
      "migrations/10_c.sql",
    ]);
    // The history itself is fine in number order; that the orders differ is its own warning.
    expect(numeric.findings.map((f) => [f.rule, f.severity])).toEqual([["d1/order-depends-on-wrangler", "warning"]]);
    const lexical = await checkMigrations({ ...history, ...wranglerAt("4.86.0") });
    expect(lexical.migrations.map((m) => m.file)).toEqual([
      "migrations/10_c.sql",
      "migrations/1_a.sql",
      "migrations/9_b.sql",
    ]);
  });

  it("classifies on the file's net effect: a unique index on a just-added column and a relaxed index are expand", async () => {
    const r = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_ix.sql": "CREATE UNIQUE INDEX orders_status ON orders (status);",
      "migrations/0003_ref.sql":
        "ALTER TABLE orders ADD COLUMN ref TEXT;\nCREATE UNIQUE INDEX orders_ref ON orders (ref);",
      "migrations/0004_relax.sql": "DROP INDEX orders_status;\nCREATE INDEX orders_status ON orders (status);",
      "migrations/0005_drop.sql": "DROP INDEX orders_ref;",
    });
    expect(r.migrations.map((m) => [m.file.split("/").pop(), m.class])).toEqual([
      ["0001_base.sql", "expand"],
      ["0002_ix.sql", "contract"],
      ["0003_ref.sql", "expand"],
      ["0004_relax.sql", "expand"],
      ["0005_drop.sql", "contract"],
    ]);
  });

  it("never crashes on bad input: malformed SQL, binary, empty, unterminated string", async () => {
    const r = await checkMigrations({
      "migrations/0001.sql": "CREATE TABLE (;;",
      "migrations/0002.sql": Buffer.from([0, 1, 2, 3, 255]),
      "migrations/0003.sql": "",
      "migrations/0004.sql": "CREATE TABLE z (a TEXT DEFAULT 'open\n);\nSELECT 1;",
      "migrations/0005.sql": "CREATE TRIGGER broken AFTER INSERT ON nowhere BEGIN SELECT 1;",
    });
    expect(hits(r)).toEqual([
      "d1/sql-error@0001.sql:1",
      "d1/unreadable-migration@0002.sql:1",
      "d1/empty-migration@0003.sql:1",
      "d1/sql-error@0004.sql:1",
      // A trigger on a table no migration creates: made outside migrations, reported once as such.
      "d1/missing-base-schema@0005.sql:1",
    ]);
  });

  it("handles a 10 MB migration", async () => {
    const row = "INSERT INTO big (id, note) VALUES (NULL, 'a fairly long note; with a semicolon inside');\n";
    const body = row.repeat(Math.ceil((10 * 1024 * 1024) / row.length));
    const r = await checkMigrations({
      "migrations/0001.sql": "CREATE TABLE big (id INTEGER PRIMARY KEY, note TEXT);",
      "migrations/0002.sql": body,
    });
    expect(r.findings).toEqual([]);
    expect(r.migrations.map((m) => m.class)).toEqual(["expand", "expand"]);
  });

  it("refuses --data that is not a database or dump, naming the file", async () => {
    const dir = writeProject({ "migrations/0001.sql": "CREATE TABLE a (x);", "junk.bin": Buffer.from([0, 0, 7]) });
    loadProject(dir);
    await expect(runCheck(dir, { analyzers: [d1Analyzer], data: `${dir}/junk.bin` })).rejects.toMatchObject({
      kind: "input",
    });
    await expect(runCheck(dir, { analyzers: [d1Analyzer], data: `${dir}/missing.sql` })).rejects.toMatchObject({
      kind: "input",
      location: { file: "missing.sql" },
    });
  });

  it("replays on --data only the migrations it has not applied", async () => {
    const dump = `CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);
INSERT INTO d1_migrations (name) VALUES ('0001_base.sql');
${BASE_MIGRATION}`;
    const r = await checkMigrations(
      {
        "migrations/0001_base.sql": BASE_MIGRATION,
        "migrations/0002.sql": "ALTER TABLE orders ADD COLUMN c TEXT;",
        "prod.sql": dump,
      },
      "prod.sql",
    );
    // 0001 would fail with "table orders already exists" if it were replayed on the data.
    expect(r.findings).toEqual([]);
  });
});
