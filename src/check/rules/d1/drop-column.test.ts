import { describe, expect, it } from "vitest";
import { hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

describe("d1/drop-column", () => {
  it("flags ALTER TABLE … DROP COLUMN", async () => {
    expect(await hitsAfterBase("d1/drop-column", "\nALTER TABLE orders DROP COLUMN status;")).toEqual([
      "d1/drop-column@0002_change.sql:2",
    ]);
  });
  it("flags a rebuild that leaves a column out", async () => {
    const sql = rebuildOrders("id INTEGER PRIMARY KEY, total INTEGER NOT NULL DEFAULT 0", "id, total");
    expect(await hitsAfterBase("d1/drop-column", sql)).toEqual(["d1/drop-column@0002_change.sql:1"]);
  });
  it("does not flag adding columns or dropping one of a table created in the file", async () => {
    expect(await hitsAfterBase("d1/drop-column", "ALTER TABLE orders ADD COLUMN note TEXT;")).toEqual([]);
    expect(await hitsAfterBase("d1/drop-column", "CREATE TABLE t (a, b);\nALTER TABLE t DROP COLUMN b;")).toEqual([]);
  });
  it("is silenced by a blastwall-ignore with a reason", async () => {
    const sql =
      "-- blastwall-ignore d1/drop-column: v42 stopped reading status\nALTER TABLE orders DROP COLUMN status;";
    expect(await hitsAfterBase("d1/drop-column", sql)).toEqual([]);
  });
});
