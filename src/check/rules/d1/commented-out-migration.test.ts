import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hits } from "../../d1/testing.js";

const RULE = "d1/commented-out-migration";

const WORKER = `export default {
  async fetch(_req: Request, env: { DB: D1Database }) {
    await env.DB.prepare("SELECT id FROM plan_requests WHERE status = ?").bind("open").all();
    return new Response("ok");
  },
};
`;

async function found(migrations: Record<string, string>, code = WORKER) {
  const result = await checkMigrations({
    "migrations/0001_base.sql": BASE_MIGRATION,
    ...migrations,
    "src/index.ts": code,
  });
  return { keys: hits(result, RULE), findings: result.findings.filter((f) => f.rule === RULE) };
}

describe(RULE, () => {
  it("flags a file whose CREATE TABLE is commented out, as an error when the code queries the table", async () => {
    const { keys, findings } = await found({
      "migrations/0002_plan_requests.sql":
        "-- Table already exists in production, skipping creation.\n-- CREATE TABLE IF NOT EXISTS plan_requests (\n--   id INTEGER PRIMARY KEY, status TEXT\n-- );\n",
    });
    expect(keys).toEqual([`${RULE}@0002_plan_requests.sql:2`]);
    expect(findings[0]?.severity).toBe("error");
    expect(findings[0]?.message).toContain("table plan_requests");
  });

  it("names the app's own query, not a sample under docs/", async () => {
    const result = await checkMigrations({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_plan_requests.sql": "-- CREATE TABLE plan_requests (id INTEGER PRIMARY KEY, status TEXT);\n",
      "src/docs/api-sample.ts": WORKER,
      "src/index.ts": WORKER,
    });
    const message = result.findings.find((f) => f.rule === RULE)?.message ?? "";
    expect(message).toContain("(src/index.ts:3)");
    expect(message).not.toContain("docs/");
  });

  it("sees through dummy DDL and bare SELECTs, and block comments", async () => {
    const { keys, findings } = await found({
      "migrations/0002_tenant.sql":
        "/*\nALTER TABLE orders ADD COLUMN tenant_id INTEGER;\nCREATE INDEX idx_orders_tenant ON orders (tenant_id);\n*/\nCREATE TABLE IF NOT EXISTS _fix_0002 (id INTEGER);\nDROP TABLE _fix_0002;\nSELECT 1;\n",
    });
    expect(keys).toEqual([`${RULE}@0002_tenant.sql:2`]);
    expect(findings[0]?.severity).toBe("warning");
    expect(findings[0]?.message).toContain("orders.tenant_id");
  });

  it("does not flag a file that runs a real statement, or one whose objects a later migration makes", async () => {
    expect(
      (
        await found({
          "migrations/0002_notes.sql":
            "-- CREATE TABLE plan_requests (id INTEGER PRIMARY KEY);\nALTER TABLE orders ADD COLUMN note TEXT;\n",
        })
      ).keys,
    ).toEqual([]);
    expect(
      (
        await found({
          "migrations/0002_skip.sql": "-- moved to 0003\n-- CREATE TABLE plan_requests (id INTEGER PRIMARY KEY);\n",
          "migrations/0003_plan_requests.sql": "CREATE TABLE plan_requests (id INTEGER PRIMARY KEY, status TEXT);\n",
        })
      ).keys,
    ).toEqual([]);
  });

  it("leaves out what an earlier migration already made", async () => {
    const { keys, findings } = await found({
      "migrations/0002_tenant.sql": "ALTER TABLE orders ADD COLUMN tenant_id INTEGER;\n",
      "migrations/0003_tenant_again.sql":
        "-- Already added in 0002\n-- ALTER TABLE orders ADD COLUMN tenant_id INTEGER;\n-- CREATE INDEX idx_orders_tenant ON orders (tenant_id);\nSELECT 1;\n",
    });
    expect(keys).toEqual([`${RULE}@0003_tenant_again.sql:3`]);
    expect(findings[0]?.message).toContain("index idx_orders_tenant");
    expect(findings[0]?.message).not.toContain("orders.tenant_id");
    expect(
      (
        await found({
          "migrations/0002_tenant.sql": "ALTER TABLE orders ADD COLUMN tenant_id INTEGER;\n",
          "migrations/0003_tenant_again.sql": "-- ALTER TABLE orders ADD COLUMN tenant_id INTEGER;\nSELECT 1;\n",
        })
      ).keys,
    ).toEqual([]);
  });

  it("does not flag commented-out prose, seed rows or an empty file", async () => {
    for (const text of [
      "-- Create table for plan requests later, once the product decides.\n",
      "-- INSERT INTO orders (id) VALUES (1);\nSELECT 1;\n",
      "",
    ])
      expect((await found({ "migrations/0002_x.sql": text })).keys, text).toEqual([]);
  });
});
