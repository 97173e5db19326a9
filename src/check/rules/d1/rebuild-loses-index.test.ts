import { describe, expect, it } from "vitest";
import { checkMigrations } from "../../d1/testing.js";

const BASE = `CREATE TABLE bookings (id TEXT PRIMARY KEY, day TEXT NOT NULL, slot TEXT NOT NULL, status TEXT, intent TEXT);
CREATE UNIQUE INDEX bookings_day_slot ON bookings (day, slot) WHERE status != 'cancelled';
CREATE INDEX bookings_status ON bookings (status);`;

const REBUILD = `CREATE TABLE bookings_new (id TEXT PRIMARY KEY, day TEXT NOT NULL, slot TEXT NOT NULL, status TEXT, intent TEXT, note TEXT);
INSERT INTO bookings_new (id, day, slot, status, intent) SELECT id, day, slot, status, intent FROM bookings;
DROP TABLE bookings;
ALTER TABLE bookings_new RENAME TO bookings;
`;

async function hits(change: string): Promise<string[]> {
  const r = await checkMigrations({ "migrations/0001_init.sql": BASE, "migrations/0002_change.sql": change });
  return r.findings.filter((f) => f.rule === "d1/rebuild-loses-index").map((f) => `${f.line} ${f.message}`);
}

describe("d1/rebuild-loses-index", () => {
  it("flags a rebuild that drops a unique index without creating it again, and names the plain ones lost", async () => {
    const [hit, more] = await hits(REBUILD);
    expect(more).toBeUndefined();
    expect(hit).toMatch(/^3 the rebuild of bookings drops its unique index bookings_day_slot \(day, slot\)/);
    expect(hit).toContain("the plain index bookings_status (status) is lost too");
  });

  it("says nothing when the migration creates the unique index again, or the table had none", async () => {
    const again = `${REBUILD}CREATE UNIQUE INDEX bookings_day_slot ON bookings (day, slot) WHERE status != 'cancelled';`;
    expect(await hits(again)).toEqual([]);
    const r = await checkMigrations({
      "migrations/0001_init.sql":
        "CREATE TABLE bookings (id TEXT PRIMARY KEY, day TEXT NOT NULL, slot TEXT NOT NULL, status TEXT, intent TEXT);\nCREATE INDEX bookings_status ON bookings (status);",
      "migrations/0002_change.sql": REBUILD,
    });
    expect(r.findings.filter((f) => f.rule === "d1/rebuild-loses-index")).toEqual([]);
  });
});
