import { describe, expect, it } from "vitest";
import { checkMigrations } from "../../d1/testing.js";

const BASE = `CREATE TABLE bookings (id TEXT PRIMARY KEY, day TEXT NOT NULL, slot TEXT NOT NULL, status TEXT);
CREATE INDEX IF NOT EXISTS idx_bookings_day_slot ON bookings (day, slot);`;

async function hits(change: string): Promise<string[]> {
  const r = await checkMigrations({ "migrations/0001_init.sql": BASE, "migrations/0002_change.sql": change });
  return r.findings.filter((f) => f.rule === "d1/shadowed-create-index").map((f) => `${f.line} ${f.message}`);
}

describe("d1/shadowed-create-index", () => {
  it("flags a unique index asked for under the name of an existing plain one", async () => {
    const [hit, more] = await hits(
      "-- no double booking\nCREATE UNIQUE INDEX IF NOT EXISTS idx_bookings_day_slot ON bookings (day, slot) WHERE status != 'cancelled';",
    );
    expect(more).toBeUndefined();
    expect(hit).toMatch(/^2 asks for a unique index on \(day, slot\) named idx_bookings_day_slot/);
    expect(hit).toContain("the uniqueness it should enforce never exists");
  });

  it("says nothing of the same definition again, a new name, or an index the statement creates", async () => {
    expect(await hits("CREATE INDEX IF NOT EXISTS idx_bookings_day_slot ON bookings (day, slot);")).toEqual([]);
    expect(await hits("CREATE UNIQUE INDEX IF NOT EXISTS idx_bookings_unique ON bookings (day, slot);")).toEqual([]);
    expect(
      await hits(
        "DROP INDEX idx_bookings_day_slot;\nCREATE UNIQUE INDEX IF NOT EXISTS idx_bookings_day_slot ON bookings (day, slot);",
      ),
    ).toEqual([]);
  });
});
