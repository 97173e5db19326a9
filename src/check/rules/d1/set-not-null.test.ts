import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

const rebuild = (
  statusDecl: string,
) => `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status ${statusDecl}, total INTEGER NOT NULL DEFAULT 0);
INSERT INTO orders_new SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`;

describe("d1/set-not-null", () => {
  it("flags a rebuild that makes a nullable column NOT NULL", async () => {
    expect(await hitsAfterBase("d1/set-not-null", rebuild("TEXT NOT NULL DEFAULT 'new'"))).toEqual([
      "d1/set-not-null@0002_change.sql:1",
    ]);
  });
  it("does not flag a rebuild that keeps it nullable, or loosens NOT NULL", async () => {
    expect(await hitsAfterBase("d1/set-not-null", rebuild("TEXT"))).toEqual([]);
    const loosen = `CREATE TABLE orders_new (id INTEGER PRIMARY KEY, status TEXT, total INTEGER);
INSERT INTO orders_new SELECT * FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`;
    expect(await hitsAfterBase("d1/set-not-null", loosen)).toEqual([]);
  });
});
