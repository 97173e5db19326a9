import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hitsAfterBase, rebuildOrders, TEST_WRANGLER } from "../../d1/testing.js";

const rebuild = (totalType: string) =>
  rebuildOrders(`id INTEGER PRIMARY KEY, status TEXT, total ${totalType} NOT NULL DEFAULT 0`);

describe("d1/change-column-type", () => {
  it("flags a rebuild that changes a column's type", async () => {
    expect(await hitsAfterBase("d1/change-column-type", rebuild("TEXT"))).toEqual([
      "d1/change-column-type@0002_change.sql:1",
    ]);
  });
  it("does not flag a rebuild that keeps the type or only its affinity (case, INT for INTEGER, VARCHAR for TEXT)", async () => {
    expect(await hitsAfterBase("d1/change-column-type", rebuild("integer"))).toEqual([]);
    expect(await hitsAfterBase("d1/change-column-type", rebuild("BIGINT"))).toEqual([]);
    const texts = rebuildOrders("id INTEGER PRIMARY KEY, status VARCHAR(32), total INTEGER NOT NULL DEFAULT 0");
    expect(await hitsAfterBase("d1/change-column-type", texts)).toEqual([]);
  });
  it("reports one finding per rebuild, naming every column whose affinity changes", async () => {
    const r = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql": rebuildOrders(
        "id INTEGER PRIMARY KEY, status STRING, total BLOB NOT NULL DEFAULT 0",
      ),
    });
    const found = r.findings.filter((f) => f.rule === "d1/change-column-type");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toMatch(/changes status from TEXT to STRING, total from INTEGER to BLOB/);
  });
  it("does not flag a change between numeric affinities, which store and compare numbers alike", async () => {
    for (const t of ["BOOLEAN", "REAL", "NUMERIC", "DECIMAL(10,2)"])
      expect(await hitsAfterBase("d1/change-column-type", rebuild(t))).toEqual([]);
  });
  it("reports a date column moving to or from TEXT as info, saying why, and a number column to TEXT without it", async () => {
    const severity = async (from: string, to: string) => {
      const r = await checkMigrations({
        "migrations/0001_base.sql": `CREATE TABLE events (id INTEGER PRIMARY KEY, at ${from});`,
        "migrations/0002_change.sql":
          "CREATE TABLE events_new (id INTEGER PRIMARY KEY, at " +
          to +
          ");\nINSERT INTO events_new SELECT id, at FROM events;\nDROP TABLE events;\nALTER TABLE events_new RENAME TO events;",
      });
      return r.findings
        .filter((f) => f.rule === "d1/change-column-type")
        .map((f) => `${f.severity}${f.message.includes("date text stays text") ? " (dates)" : ""}`);
    };
    expect(await severity("DATETIME DEFAULT CURRENT_TIMESTAMP", "TEXT")).toEqual(["info (dates)"]);
    expect(await severity("TEXT", "TIMESTAMP")).toEqual(["info (dates)"]);
    // Both files are new here, so the table holds only this release's rows: info, but not for the dates.
    expect(await severity("INTEGER", "TEXT")).toEqual(["info"]);
    expect(await severity("DATETIME", "INTEGER")).toEqual([]);
  });
  it("drops to info when the bound Workers' code never names the table", async () => {
    const r = await checkMigrations({
      "wrangler.toml": TEST_WRANGLER,
      "src/index.ts": "export default { fetch: () => new Response('ok') };",
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_change.sql": rebuild("TEXT"),
    });
    const [hit] = r.findings.filter((f) => f.rule === "d1/change-column-type");
    expect(hit?.severity).toBe("info");
    expect(hit?.message).toMatch(/does not name orders/);
  });
});
