import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

describe("d1/unused-ignore", () => {
  it("reports an ignore that matches nothing, and a file ignore for a rule that never fires", async () => {
    const sql = "-- blastwall-ignore d1/drop-table: not dropping anything\nALTER TABLE orders ADD COLUMN a TEXT;";
    expect(await hitsAfterBase("d1/unused-ignore", sql)).toEqual(["d1/unused-ignore@0002_change.sql:1"]);
    expect(await hitsAfterBase("d1/unused-ignore", "-- blastwall-ignore-file d1/drop-table: nope\nSELECT 1;")).toEqual([
      "d1/unused-ignore@0002_change.sql:1",
    ]);
  });
  it("does not report ignores that suppress a finding, per statement or per file", async () => {
    expect(
      await hitsAfterBase(
        "d1/unused-ignore",
        "-- blastwall-ignore d1/drop-table: gone since v9\nDROP TABLE order_items;",
      ),
    ).toEqual([]);
    const fileWide =
      "-- blastwall-ignore-file d1/drop-column: cleanup release\nALTER TABLE orders DROP COLUMN status;\nALTER TABLE order_items DROP COLUMN sku;";
    expect(await hitsAfterBase("d1/unused-ignore", fileWide)).toEqual([]);
    expect(await hitsAfterBase("d1/drop-column", fileWide)).toEqual([]);
  });
  it("a comment after the semicolon on the same line covers that statement", async () => {
    const sql =
      "ALTER TABLE orders DROP COLUMN status; -- blastwall-ignore d1/drop-column: unused since v9\nALTER TABLE order_items DROP COLUMN sku;";
    expect(await hitsAfterBase("d1/drop-column", sql)).toEqual(["d1/drop-column@0002_change.sql:2"]);
  });
  it("an ignore covers only the statement right after it", async () => {
    const sql =
      "-- blastwall-ignore d1/drop-column: ok\nALTER TABLE orders DROP COLUMN status;\nALTER TABLE order_items DROP COLUMN sku;";
    expect(await hitsAfterBase("d1/drop-column", sql)).toEqual(["d1/drop-column@0002_change.sql:3"]);
  });
});
