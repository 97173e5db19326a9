import { describe, expect, it } from "vitest";
import { checkMigrations } from "../../d1/testing.js";

const RULE = "d1/set-reads-assigned";
const BASE = `CREATE TABLE inventory (id INTEGER PRIMARY KEY, quantity INTEGER NOT NULL DEFAULT 0, total INTEGER);
CREATE TABLE inventory_logs (id INTEGER PRIMARY KEY, inventory_id INTEGER, unit_price INTEGER, quantity INTEGER);
ALTER TABLE inventory ADD COLUMN avg_price INTEGER DEFAULT 0;`;

const hits = async (sql: string) =>
  (await checkMigrations({ "migrations/0001.sql": BASE, "migrations/0002.sql": sql })).findings.filter(
    (f) => f.rule === RULE,
  );

describe(RULE, () => {
  it("flags a SET expression that reads a column the same SET assigned before it, at the expression's line", async () => {
    const [hit, more] = await hits(`UPDATE inventory
SET avg_price = (
  SELECT SUM(l.unit_price * l.quantity) / NULLIF(SUM(l.quantity), 0)
  FROM inventory_logs l WHERE l.inventory_id = inventory.id
),
total = quantity * avg_price
WHERE id IN (SELECT inventory_id FROM inventory_logs);`);
    expect(more).toBeUndefined();
    expect(hit?.severity).toBe("warning");
    expect(hit?.line).toBe(6);
    expect(hit?.message).toContain(
      "`total = quantity * avg_price` reads avg_price, which the same UPDATE sets before it",
    );
    expect(hit?.message).toContain("so this reads the old avg_price");
    expect(hit?.fix).toContain("set total in a second UPDATE after this one");
  });

  it("leaves alone a swap, a value read before it is set, a self-assignment, a constant, a subquery and a string", async () => {
    const quiet = [
      // A swap reads both ways on purpose: SQLite gives each side the other's old value.
      "UPDATE inventory SET quantity = total, total = quantity;",
      // Read in an assignment before the one that sets it: the old value is what the author sees.
      "UPDATE inventory SET total = quantity * avg_price, avg_price = 0;",
      "UPDATE inventory SET avg_price = avg_price, total = quantity * avg_price;",
      // The name in a subquery may be another table's column.
      "UPDATE inventory SET quantity = 0, total = (SELECT SUM(quantity) FROM inventory_logs WHERE inventory_id = inventory.id);",
      "UPDATE inventory SET total = 0, quantity = 'total';",
      // Set to a constant first: the new value is known, so reading the column means the old one.
      "UPDATE inventory SET quantity = 13, total = CASE quantity WHEN 60 THEN 155 ELSE total END;",
      "UPDATE inventory SET avg_price = NULL, total = quantity * avg_price;",
      "UPDATE inventory SET total = 1;",
    ];
    for (const sql of quiet) expect(await hits(sql), sql).toEqual([]);
  });
});
