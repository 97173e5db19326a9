import { describe, expect, it } from "vitest";
import { hitsAfterBase } from "../../d1/testing.js";

describe("d1/add-not-null-column", () => {
  it("flags NOT NULL without a default on an existing table (it replays fine on the empty database)", async () => {
    expect(
      await hitsAfterBase("d1/add-not-null-column", "ALTER TABLE orders ADD COLUMN customer TEXT NOT NULL;"),
    ).toEqual(["d1/add-not-null-column@0002_change.sql:1"]);
    expect(await hitsAfterBase("d1/sql-error", "ALTER TABLE orders ADD COLUMN customer TEXT NOT NULL;")).toEqual([]);
  });
  it("does not flag a default, a nullable column, or a new table", async () => {
    expect(
      await hitsAfterBase("d1/add-not-null-column", "ALTER TABLE orders ADD COLUMN c TEXT NOT NULL DEFAULT '';"),
    ).toEqual([]);
    expect(await hitsAfterBase("d1/add-not-null-column", "ALTER TABLE orders ADD COLUMN c TEXT;")).toEqual([]);
    expect(await hitsAfterBase("d1/add-not-null-column", "CREATE TABLE c (a TEXT NOT NULL);")).toEqual([]);
  });
});
