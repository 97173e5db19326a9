import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase } from "../../d1/testing.js";

const RULE = "d1/duplicate-column";

/** A Worker that adds `columns` to orders at startup, each in its own try/catch, as self-migrating apps do. */
function selfMigrating(statements: string[]): string {
  const tries = statements
    .map((s) => `  try { await env.DB.prepare(${JSON.stringify(s)}).run(); } catch {}`)
    .join("\n");
  return `async function ensureSchema(env: { DB: D1Database }) {
${tries}
}
export default {
  async fetch(_req: Request, env: { DB: D1Database }) {
    await ensureSchema(env);
    return Response.json(await env.DB.prepare("SELECT id, status, total FROM orders").all());
  },
};
`;
}

describe(RULE, () => {
  it("flags a migration adding a column the code adds at runtime, whatever the quoting or case", async () => {
    for (const stmt of [
      "ALTER TABLE orders ADD COLUMN charge_type TEXT DEFAULT 'one_off'",
      'alter table "orders" add "charge_type" text',
      "ALTER TABLE `orders` ADD COLUMN `Charge_Type` TEXT",
    ]) {
      const got = await hitsAfterBase(RULE, "ALTER TABLE orders ADD COLUMN charge_type TEXT;", {
        "src/index.ts": selfMigrating([stmt]),
      });
      expect(got, stmt).toEqual([`${RULE}@0002_change.sql:1`]);
    }
  });

  it("names the code's line and says how to settle who owns the column", async () => {
    const result = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql":
        "ALTER TABLE orders ADD COLUMN note TEXT;\nALTER TABLE orders ADD COLUMN charge_type TEXT;",
      "src/index.ts": selfMigrating(["ALTER TABLE orders ADD COLUMN charge_type TEXT"]),
    });
    const found = result.findings.filter((f) => f.rule === RULE);
    expect(found.map((f) => f.line)).toEqual([2]);
    expect(found[0]?.message).toContain("orders.charge_type (src/index.ts:2)");
    expect(found[0]?.message).toContain("duplicate column name");
    expect(found[0]?.fix).toContain("INSERT INTO d1_migrations (name) VALUES ('0002_change.sql')");
  });

  it("reports a file once, at its first duplicate, naming every column", async () => {
    const result = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql": "ALTER TABLE orders ADD COLUMN a TEXT;\nALTER TABLE orders ADD COLUMN b TEXT;",
      "src/index.ts": selfMigrating(["ALTER TABLE orders ADD COLUMN a TEXT", "ALTER TABLE orders ADD COLUMN b TEXT"]),
    });
    const found = result.findings.filter((f) => f.rule === RULE);
    expect(found.map((f) => f.line)).toEqual([1]);
    expect(found[0]?.message).toContain("2 columns");
    expect(found[0]?.message).toContain("orders.b (src/index.ts:3)");
  });

  it("does not read scripts or tests, which run against other databases", async () => {
    for (const path of ["src/scripts/catch-up.ts", "src/db.test.ts"])
      expect(
        await hitsAfterBase(RULE, "ALTER TABLE orders ADD COLUMN charge_type TEXT;", {
          [path]: selfMigrating(["ALTER TABLE orders ADD COLUMN charge_type TEXT"]),
        }),
        path,
      ).toEqual([]);
  });

  it("does not flag other columns, other tables, commented-out or interpolated code, or a rebuild", async () => {
    const cases: [string, string[]][] = [
      ["ALTER TABLE orders ADD COLUMN note TEXT;", ["ALTER TABLE orders ADD COLUMN charge_type TEXT"]],
      ["ALTER TABLE order_items ADD COLUMN charge_type TEXT;", ["ALTER TABLE orders ADD COLUMN charge_type TEXT"]],
      ["ALTER TABLE orders ADD COLUMN charge_type TEXT;", [`ALTER TABLE \${table} ADD COLUMN charge_type TEXT`]],
      [
        "CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER NOT NULL DEFAULT 0, charge_type TEXT);\nINSERT INTO orders_new (id, status, total) SELECT id, status, total FROM orders;\nDROP TABLE orders;\nALTER TABLE orders_new RENAME TO orders;",
        ["ALTER TABLE orders ADD COLUMN charge_type TEXT"],
      ],
    ];
    for (const [sql, code] of cases)
      expect(await hitsAfterBase(RULE, sql, { "src/index.ts": selfMigrating(code) }), sql).toEqual([]);
    const commented = selfMigrating([]).replace(
      "async function",
      "// ALTER TABLE orders ADD COLUMN charge_type TEXT (now a migration)\nasync function",
    );
    expect(
      await hitsAfterBase(RULE, "ALTER TABLE orders ADD COLUMN charge_type TEXT;", { "src/index.ts": commented }),
    ).toEqual([]);
  });
});
