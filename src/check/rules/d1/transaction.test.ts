import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

describe("d1/transaction", () => {
  it("flags BEGIN, COMMIT, SAVEPOINT and RELEASE, each at its line", async () => {
    const sql = "BEGIN TRANSACTION;\nSAVEPOINT s1;\nALTER TABLE orders ADD COLUMN note TEXT;\nRELEASE s1;\nCOMMIT;";
    expect(await hitsAfterBase("d1/transaction", sql)).toEqual([
      "d1/transaction@0002_change.sql:1",
      "d1/transaction@0002_change.sql:2",
      "d1/transaction@0002_change.sql:4",
      "d1/transaction@0002_change.sql:5",
    ]);
  });
  it("does not flag PRAGMA defer_foreign_keys, or BEGIN … END inside a trigger", async () => {
    const sql = `PRAGMA defer_foreign_keys = on;
CREATE TRIGGER orders_touch AFTER UPDATE ON orders BEGIN
  UPDATE orders SET total = total WHERE id = new.id;
END;`;
    expect(await hitsAfterBase("d1/transaction", sql)).toEqual([]);
  });
});
