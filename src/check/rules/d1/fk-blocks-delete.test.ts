import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase } from "../../d1/testing.js";

const RULE = "d1/fk-blocks-delete";

/** A Worker that runs `statements` (as written in its source) on its D1 database. */
function worker(statements: string[]): string {
  const calls = statements.map((s) => `    await env.DB.prepare(${JSON.stringify(s)}).bind(1).run();`).join("\n");
  return `export default {
  async fetch(_req: Request, env: { DB: D1Database }) {
${calls}
    return new Response("ok");
  },
};
`;
}

/** Code that writes the children the tests add, so that they can hold rows. */
const WRITES = [
  "INSERT INTO order_notes (order_id, body) VALUES (?, 'x')",
  "INSERT INTO order_links (from_id, to_id) VALUES (?, 1)",
  "UPDATE order_items SET gift_for = ?",
];

const NOTES =
  "CREATE TABLE order_notes (\n  id INTEGER PRIMARY KEY,\n  order_id INTEGER NOT NULL REFERENCES orders (id),\n  body TEXT\n);";

describe(RULE, () => {
  it("flags a new child without ON DELETE of a parent the code deletes from, at its REFERENCES line", async () => {
    const deletesOrders = { "src/index.ts": worker(["DELETE FROM orders WHERE id = ?", ...WRITES]) };
    for (const [sql, line] of [
      [NOTES, 3],
      [NOTES.replace("REFERENCES orders (id)", "REFERENCES orders (id) ON DELETE RESTRICT"), 3],
      [
        "CREATE TABLE order_notes (id INTEGER PRIMARY KEY, order_id INTEGER, FOREIGN KEY (order_id) REFERENCES orders (id));",
        1,
      ],
      ["ALTER TABLE order_items ADD COLUMN gift_for INTEGER REFERENCES orders (id);", 1],
    ] as const)
      expect(await hitsAfterBase(RULE, sql, deletesOrders), sql).toEqual([`${RULE}@0002_change.sql:${line}`]);
    // Children cleared only after the parent's DELETE do not help it: it fails first.
    const after = {
      "src/index.ts": worker([
        "DELETE FROM orders WHERE id = ?",
        "DELETE FROM order_notes WHERE order_id = ?",
        ...WRITES,
      ]),
    };
    expect(await hitsAfterBase(RULE, NOTES, after)).toEqual([`${RULE}@0002_change.sql:3`]);
  });

  it("reports a child with two keys to the same parent once", async () => {
    const two =
      "CREATE TABLE order_links (\n  id INTEGER PRIMARY KEY,\n  from_id INTEGER REFERENCES orders (id),\n  to_id INTEGER REFERENCES orders (id)\n);";
    const got = await hitsAfterBase(RULE, two, {
      "src/index.ts": worker(["DELETE FROM orders WHERE id = ?", ...WRITES]),
    });
    expect(got).toEqual([`${RULE}@0002_change.sql:3`]);
  });

  it("names the code's DELETE and offers ON DELETE CASCADE", async () => {
    const result = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql": NOTES,
      "src/index.ts": worker(["SELECT 1", 'delete from "orders" where id = ?', ...WRITES]),
    });
    const f = result.findings.find((x) => x.rule === RULE);
    expect(f?.message).toContain("src/index.ts:4");
    expect(f?.message).toContain("FOREIGN KEY constraint failed");
    expect(f?.fix).toContain("FOREIGN KEY (order_id) REFERENCES orders ON DELETE CASCADE");
  });

  it("does not flag a child that no code names and no migration writes into; does once a migration seeds it", async () => {
    const deletes = { "src/index.ts": worker(["DELETE FROM orders WHERE id = ?"]) };
    expect(await hitsAfterBase(RULE, NOTES, deletes)).toEqual([]);
    expect(
      await hitsAfterBase(
        RULE,
        `${NOTES}\nINSERT INTO order_notes (order_id, body) SELECT id, 'imported' FROM orders;`,
        deletes,
      ),
    ).toEqual([`${RULE}@0002_change.sql:3`]);
    // A seed that leaves the key out or NULL gives no row that can block; one value is enough to count.
    const SHARED =
      "CREATE TABLE order_tags (\n  id INTEGER PRIMARY KEY,\n  order_id INTEGER REFERENCES orders (id),\n  name TEXT\n);";
    const seeded = (insert: string) => hitsAfterBase(RULE, `${SHARED}\n${insert}`, deletes);
    expect(await seeded("INSERT INTO order_tags (name) VALUES ('gift'), ('rush');")).toEqual([]);
    expect(await seeded("INSERT INTO order_tags (order_id, name) VALUES (NULL, 'gift');")).toEqual([]);
    expect(await seeded("INSERT INTO order_tags (order_id, name) VALUES (NULL, 'gift'), (1, 'rush');")).toEqual([
      `${RULE}@0002_change.sql:3`,
    ]);
    const keyed = SHARED.replace("order_id INTEGER", "order_id INTEGER DEFAULT 1");
    expect(await hitsAfterBase(RULE, `${keyed}\nINSERT INTO order_tags (name) VALUES ('gift');`, deletes)).toEqual([
      `${RULE}@0002_change.sql:3`,
    ]);
  });

  it("does not flag a child the code only reads with its own SQL; does once some code writes into it", async () => {
    const reads = ["DELETE FROM orders WHERE id = ?", "SELECT body FROM order_notes WHERE order_id = ?"];
    expect(await hitsAfterBase(RULE, NOTES, { "src/index.ts": worker(reads) })).toEqual([]);
    const written = { "src/index.ts": worker([...reads, "INSERT INTO order_notes (order_id, body) VALUES (?, 'x')"]) };
    expect(await hitsAfterBase(RULE, NOTES, written)).toEqual([`${RULE}@0002_change.sql:3`]);
    // A write the code builds by interpolation still names the table.
    const built = {
      "src/index.ts": `${worker(reads)}export const add = (db: D1Database, c: string) => db.prepare(\`INSERT INTO order_notes (\${c}) VALUES (?)\`);\n`,
    };
    expect(await hitsAfterBase(RULE, NOTES, built)).toEqual([`${RULE}@0002_change.sql:3`]);
    // A message that names the statement in prose writes nothing; a statement on its own line, or after a CTE, does.
    const prose = {
      "src/index.ts": `${worker(reads)}export const hint = "Correggi le note con UPDATE order_notes dal pannello";\n`,
    };
    expect(await hitsAfterBase(RULE, NOTES, prose)).toEqual([]);
    // Code that queries with its own SQL and names the child only in words never writes it; an ORM table may.
    const words = {
      "src/index.ts": `${worker(["DELETE FROM orders WHERE id = ?"])}export const title = "order_notes: see the docs";\n`,
    };
    expect(await hitsAfterBase(RULE, NOTES, words)).toEqual([]);
    const orm = {
      "src/index.ts": `${worker(["DELETE FROM orders WHERE id = ?"])}export const notes = sqliteTable("order_notes", {});\n`,
    };
    expect(await hitsAfterBase(RULE, NOTES, orm)).toEqual([`${RULE}@0002_change.sql:3`]);
    for (const sql of [
      "`\n      UPDATE order_notes SET body = ?`",
      '"WITH n AS (SELECT 1) UPDATE order_notes SET body = ?"',
    ]) {
      const statement = {
        "src/index.ts": `${worker(reads)}export const q = (db: D1Database) => db.prepare(${sql});\n`,
      };
      expect(await hitsAfterBase(RULE, NOTES, statement), sql).toEqual([`${RULE}@0002_change.sql:3`]);
    }
  });

  it("does not flag an ON DELETE action, code that clears the children first, catches the failure or never deletes the parent, or a parent made here", async () => {
    const deletesOrders = { "src/index.ts": worker(["DELETE FROM orders WHERE id = ?", ...WRITES]) };
    for (const sql of [
      NOTES.replace("REFERENCES orders (id)", "REFERENCES orders (id) ON DELETE CASCADE"),
      NOTES.replace("NOT NULL REFERENCES orders (id)", "REFERENCES orders (id) ON DELETE SET NULL"),
      `CREATE TABLE shops (id INTEGER PRIMARY KEY);\nCREATE TABLE shop_notes (id INTEGER PRIMARY KEY, shop_id INTEGER REFERENCES shops (id));`,
      "CREATE TABLE order_links (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES order_links (id));",
    ])
      expect(await hitsAfterBase(RULE, sql, deletesOrders), sql).toEqual([]);
    const both = {
      "src/index.ts": worker(["DELETE FROM order_notes WHERE order_id = ?", "DELETE FROM orders WHERE id = ?"]),
    };
    expect(await hitsAfterBase(RULE, NOTES, both)).toEqual([]);
    expect(
      await hitsAfterBase(RULE, NOTES, {
        "src/index.ts": worker(["DELETE FROM orders WHERE id = ?"]).replace("    await", "    // await"),
      }),
    ).toEqual([]);
    expect(
      await hitsAfterBase(RULE, NOTES, { "src/index.ts": worker(["DELETE FROM orders_archive WHERE id = ?"]) }),
    ).toEqual([]);
  });
});
