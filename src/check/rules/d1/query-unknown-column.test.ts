import { describe, expect, it } from "vitest";
import { queriesIn, tablesNamed } from "../../d1/code-queries.js";
import { BASE_MIGRATION, checkMigrations, hits } from "../../d1/testing.js";

const RULE = "d1/query-unknown-column";

/** A Worker whose fetch handler runs `body` (lines of code with `env.DB` in scope). */
function worker(body: string): string {
  return `export default {
  async fetch(_req: Request, env: { DB: D1Database }) {
${body}
    return new Response("ok");
  },
};
`;
}

async function found(body: string, migrations: Record<string, string> = {}, extra: Record<string, string> = {}) {
  const result = await checkMigrations({
    "migrations/0001_base.sql": BASE_MIGRATION,
    ...migrations,
    "src/index.ts": worker(body),
    ...extra,
  });
  return { result, keys: hits(result, RULE), findings: result.findings.filter((f) => f.rule === RULE) };
}

describe(RULE, () => {
  it("flags a column no migration creates, in SELECT, INSERT, UPDATE and the sql tag, at the prepare line", async () => {
    for (const stmt of [
      `    await env.DB.prepare("SELECT id, note FROM orders WHERE id = ?").bind(1).all();`,
      `    await env.DB.prepare('INSERT INTO orders (id, note) VALUES (?, ?)').bind(1, "x").run();`,
      "    await env.DB.prepare(`UPDATE orders\n      SET note = ?1 WHERE id = ?2`).bind('x', 1).run();",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Worker source holding a template literal
      "    await sql`SELECT o.note FROM orders o WHERE o.id = ${1}`.prepare(env.DB).all();",
      `    await env.DB.prepare("SELECT i.sku FROM orders o JOIN order_items i ON i.order_id = o.id WHERE o.note = ?").all();`,
    ]) {
      const { keys, findings } = await found(stmt);
      expect(keys, stmt).toEqual([`${RULE}@index.ts:3`]);
      expect(findings[0]?.message, stmt).toContain("note");
      expect(findings[0]?.message, stmt).toMatch(/no such column|has no column named/);
    }
  });

  it("reads only the files the Worker's main imports: an old entry nothing imports is not deployed", async () => {
    const query = `    await env.DB.prepare("SELECT id, note FROM orders WHERE id = ?").bind(1).all();`;
    const old = { "src/index-old.ts": worker(query) };
    expect((await found(`    await env.DB.prepare("SELECT id FROM orders").all();`, {}, old)).keys).toEqual([]);
    // Imported by the entry, it is deployed and flagged.
    const imported = `import "./index-old";\n${worker(`    await env.DB.prepare("SELECT id FROM orders").all();`)}`;
    const result = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "src/index.ts": imported,
      ...old,
    });
    expect(hits(result, RULE)).toEqual([`${RULE}@index-old.ts:3`]);
  });

  it("names the table, its columns and the migration that would add the column", async () => {
    const { findings } = await found(`    await env.DB.prepare("INSERT INTO orders (id, note) VALUES (?, ?)").run();`);
    expect(findings[0]?.severity).toBe("error");
    expect(findings[0]?.message).toContain("orders does not have once migrations/ is applied (through 0001_base.sql)");
    expect(findings[0]?.fix).toContain("ALTER TABLE orders ADD COLUMN note TEXT");
    expect(findings[0]?.fix).toContain("orders has id, status, total");
    expect(findings[0]?.data).toMatchObject({ table: "orders", column: "note" });
  });

  it("reports a missing column once, at its first statement, naming the others", async () => {
    const body = [
      `    await env.DB.prepare("SELECT id, note FROM orders").all();`,
      `    await env.DB.prepare("UPDATE orders SET note = ? WHERE id = ?").run();`,
      `    await env.DB.prepare("SELECT id, memo FROM orders").all();`,
    ].join("\n");
    const { keys, findings } = await found(body);
    expect(keys).toEqual([`${RULE}@index.ts:3`, `${RULE}@index.ts:5`]);
    expect(findings[0]?.message).toContain("so does 1 more statement: src/index.ts:4");
    expect(findings[0]?.data?.sites).toEqual(["src/index.ts:3", "src/index.ts:4"]);
  });

  it("honours a blastwall-ignore comment above the statement in the code", async () => {
    const ignored = [
      "    // blastwall-ignore d1/query-unknown-column: production has note, added by hand; migration 0009 records it",
      "    await env.DB",
      `      .prepare("SELECT id, note FROM orders").all();`,
    ].join("\n");
    expect((await found(ignored)).keys).toEqual([]);
    const other = ignored.replace("d1/query-unknown-column", "d1/drop-table");
    expect((await found(other)).keys).toEqual([`${RULE}@index.ts:5`]);
  });

  it("is satisfied by a later migration that adds the column, or renames one to it", async () => {
    const stmt = `    await env.DB.prepare("SELECT id, note FROM orders").all();`;
    expect(
      (await found(stmt, { "migrations/0002_note.sql": "ALTER TABLE orders ADD COLUMN note TEXT;" })).keys,
    ).toEqual([]);
    expect(
      (await found(stmt, { "migrations/0002_note.sql": "ALTER TABLE orders RENAME COLUMN status TO note;" })).keys,
    ).toEqual([]);
  });

  it("leaves a column a migration dropped or renamed away to d1/drop-column and the release rule", async () => {
    const stmt = `    await env.DB.prepare("SELECT id, status FROM orders").all();`;
    for (const sql of [
      "ALTER TABLE orders DROP COLUMN status;",
      "ALTER TABLE orders RENAME COLUMN status TO state;",
      "DROP TABLE order_items;\nDROP TABLE orders;\nCREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER);",
    ]) {
      const { result, keys } = await found(stmt, { "migrations/0002_drop.sql": sql });
      expect(keys, sql).toEqual([]);
      expect(result.findings.length, sql).toBeGreaterThan(0);
    }
  });

  it("leaves alone what it cannot judge or what the code owns", async () => {
    for (const stmt of [
      // Valid statements, CTEs, aliases, upserts.
      `    await env.DB.prepare("SELECT id, status AS s FROM orders ORDER BY s").all();`,
      `    await env.DB.prepare("WITH recent AS (SELECT id FROM orders) SELECT id FROM recent").all();`,
      `    await env.DB.prepare("INSERT INTO orders (id, total) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET total = excluded.total").run();`,
      // A table no migration creates (made outside them, or another database).
      `    await env.DB.prepare("SELECT id, note FROM customers").all();`,
      // Interpolated or concatenated text is not known whole.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Worker source holding a template literal
      "    await env.DB.prepare(`SELECT ${'note'} FROM orders`).all();",
      `    await env.DB.prepare("SELECT note FROM orders" + " WHERE id = 1").all();`,
      // A double-quoted string literal (SQLite reads it as a column first): not this rule's business.
      `    await env.DB.prepare('SELECT id FROM orders WHERE status = "paid"').all();`,
      // Commented out.
      `    // await env.DB.prepare("SELECT note FROM orders").all();`,
      // A syntax error is not a missing column.
      `    await env.DB.prepare("SELECT FROM orders WHERE").all();`,
    ]) {
      expect((await found(stmt)).keys, stmt).toEqual([]);
    }
  });

  it("leaves alone columns the code adds at runtime, tables the code creates, and tooling files", async () => {
    const select = `    await env.DB.prepare("SELECT id, note FROM orders").all();`;
    const adds = `    try { await env.DB.prepare("ALTER TABLE orders ADD COLUMN note TEXT").run(); } catch {}\n${select}`;
    expect((await found(adds)).keys).toEqual([]);
    const creates = `    await env.DB.prepare("CREATE TABLE IF NOT EXISTS orders (id INTEGER PRIMARY KEY, note TEXT)").run();\n${select}`;
    expect((await found(creates)).keys).toEqual([]);
    const script = { "scripts/backfill.ts": worker(select) };
    expect((await found(`    await env.DB.prepare("SELECT id FROM orders").all();`, {}, script)).keys).toEqual([]);
  });
});

describe("reading statements from code", () => {
  it("reads literals passed to prepare and the sql tag, with escapes and values as parameters", () => {
    const text = [
      `db.prepare("SELECT \\"id\\" FROM t WHERE a = 'x'\\n")`,
      "db.prepare(`SELECT id\n  FROM t`, )",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Worker source holding a template literal
      "sql`SELECT id FROM t WHERE k = ${key} AND v = ${fn({ a: '}' })}`",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Worker source holding a template literal
      "sql`SELECT ${sql.id(col)} FROM t`",
      `db.prepare(query)`,
      `db.prepare("PRAGMA table_info(t)")`,
    ].join("\n");
    expect(queriesIn(text, "a.ts").map((q) => [q.line, q.sql])).toEqual([
      [1, `SELECT "id" FROM t WHERE a = 'x'\n`],
      [2, "SELECT id\n  FROM t"],
      [4, "SELECT id FROM t WHERE k = ? AND v = ?"],
    ]);
  });

  it("names a statement's tables, less its CTEs and table-valued functions", () => {
    expect(tablesNamed("WITH a AS (SELECT x FROM t1), b(y) AS (SELECT y FROM t2) SELECT * FROM a JOIN b")).toEqual([
      "t1",
      "t2",
    ]);
    expect(tablesNamed('INSERT OR REPLACE INTO "Orders" (id) SELECT id FROM json_each(?)')).toEqual(["orders"]);
    expect(tablesNamed("UPDATE OR IGNORE orders SET a = 1")).toEqual(["orders"]);
  });
});
