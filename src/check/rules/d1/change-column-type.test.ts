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
        "id INTEGER PRIMARY KEY, status STRING, total REAL NOT NULL DEFAULT 0",
      ),
    });
    const found = r.findings.filter((f) => f.rule === "d1/change-column-type");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toMatch(/changes status from TEXT to STRING, total from INTEGER to REAL/);
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
