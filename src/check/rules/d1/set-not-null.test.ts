import { describe, expect, it } from "vitest";
import { hitsAfterBase, rebuildOrders } from "../../d1/testing.js";

const rebuild = (statusDecl: string) =>
  rebuildOrders(`id INTEGER PRIMARY KEY, status ${statusDecl}, total INTEGER NOT NULL DEFAULT 0`);

describe("d1/set-not-null", () => {
  it("flags a rebuild that makes a nullable column NOT NULL", async () => {
    expect(await hitsAfterBase("d1/set-not-null", rebuild("TEXT NOT NULL DEFAULT 'new'"))).toEqual([
      "d1/set-not-null@0002_change.sql:1",
    ]);
  });
  it("does not flag a rebuild that keeps it nullable, or loosens NOT NULL", async () => {
    expect(await hitsAfterBase("d1/set-not-null", rebuild("TEXT"))).toEqual([]);
    const loosen = rebuildOrders("id INTEGER PRIMARY KEY, status TEXT, total INTEGER");
    expect(await hitsAfterBase("d1/set-not-null", loosen)).toEqual([]);
  });
});
