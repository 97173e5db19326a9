import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

describe("suppression/missing-reason", () => {
  it("refuses an ignore without a reason, and does not suppress with it", async () => {
    const sql = "-- blastwall-ignore d1/drop-table\nDROP TABLE order_items;";
    expect(await hitsAfterBase("suppression/missing-reason", sql)).toEqual([
      "suppression/missing-reason@0002_change.sql:1",
    ]);
    expect(await hitsAfterBase("d1/drop-table", sql)).toEqual(["d1/drop-table@0002_change.sql:2"]);
  });
  it("accepts an ignore with a reason", async () => {
    expect(
      await hitsAfterBase(
        "suppression/missing-reason",
        "-- blastwall-ignore d1/drop-table: unused since v3\nDROP TABLE order_items;",
      ),
    ).toEqual([]);
  });
});
