import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

describe("d1/empty-migration", () => {
  it("notes empty and comment-only files", async () => {
    expect(await hitsAfterBase("d1/empty-migration", "")).toEqual(["d1/empty-migration@0002_change.sql:1"]);
    expect(await hitsAfterBase("d1/empty-migration", "-- split out of 0001, written later\n;\n")).toEqual([
      "d1/empty-migration@0002_change.sql:1",
    ]);
  });
  it("does not note a file with a statement", async () => {
    expect(await hitsAfterBase("d1/empty-migration", "CREATE INDEX ix ON orders (status);")).toEqual([]);
  });
});
