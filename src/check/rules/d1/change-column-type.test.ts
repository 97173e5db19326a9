import { describe, expect, it } from "vitest";
import { hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

const rebuild = (totalType: string) =>
  rebuildOrders(`id INTEGER PRIMARY KEY, status TEXT, total ${totalType} NOT NULL DEFAULT 0`);

describe("d1/change-column-type", () => {
  it("flags a rebuild that changes a column's type", async () => {
    expect(await hitsAfterBase("d1/change-column-type", rebuild("TEXT"))).toEqual([
      "d1/change-column-type@0002_change.sql:1",
    ]);
  });
  it("does not flag a rebuild that keeps the type (case-insensitive)", async () => {
    expect(await hitsAfterBase("d1/change-column-type", rebuild("integer"))).toEqual([]);
  });
});
