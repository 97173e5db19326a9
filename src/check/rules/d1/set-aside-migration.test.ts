import { execFileSync } from "node:child_process";
import { renameSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { BASE_MIGRATION, checkMigrations, hits, writeProject } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

const RULE = "d1/set-aside-migration";

const WORKER = `export default {
  async fetch(_req: Request, env: { DB: D1Database }) {
    await env.DB.prepare("SELECT id FROM orders WHERE tenant_id = ?").bind(1).all();
    return new Response("ok");
  },
};
`;
const TENANT = "-- tenants\nALTER TABLE orders ADD COLUMN tenant_id INTEGER;\n";

async function found(migrations: Record<string, string>, code = WORKER) {
  const result = await checkMigrations({
    "migrations/0001_base.sql": BASE_MIGRATION,
    "migrations/0003_more.sql": "CREATE INDEX ix_orders_status ON orders (status);\n",
    ...migrations,
    "src/index.ts": code,
  });
  return { keys: hits(result, RULE), findings: result.findings.filter((f) => f.rule === RULE) };
}

describe(RULE, () => {
  it("flags a .sql.bak (or .sql.old, .sql~) migration that alone makes a column the code uses", async () => {
    for (const name of ["0002_tenant.sql.bak", "0002_tenant.sql.old", "0002_tenant.sql~", "0002_tenant.sql.disabled"]) {
      const { keys, findings } = await found({ [`migrations/${name}`]: TENANT });
      expect(keys, name).toEqual([`${RULE}@${name}:2`]);
      expect(findings[0]?.message).toContain("orders.tenant_id");
      expect(findings[0]?.message).toContain("sits before 0003_more.sql");
    }
  });

  it("does not flag it when a migration wrangler applies makes the column, or no code uses it", async () => {
    expect(
      (await found({ "migrations/0002_tenant.sql.bak": TENANT, "migrations/0004_tenant.sql": TENANT })).keys,
    ).toEqual([]);
    expect(
      (
        await found(
          { "migrations/0002_tenant.sql.bak": TENANT },
          "export default { fetch: () => new Response('ok') };\n",
        )
      ).keys,
    ).toEqual([]);
    // A backup of a file that still runs under its .sql name.
    expect(
      (await found({ "migrations/0002_tenant.sql": TENANT, "migrations/0002_tenant.sql.bak": TENANT })).keys,
    ).toEqual([]);
  });

  it("asks only the deployed code: a file the entry never imports runs no query that could fail", async () => {
    const result = async (extra: Record<string, string>, entry: string) =>
      hits(
        await checkMigrations({
          "migrations/0001_base.sql": BASE_MIGRATION,
          "migrations/0002_tenant.sql.bak": TENANT,
          ...extra,
          "src/index.ts": entry,
        }),
        RULE,
      );
    const plain = "export default { fetch: () => new Response('ok') };\n";
    // An old entry that nothing imports still queries orders.tenant_id.
    expect(await result({ "src/index-old.ts": WORKER }, plain)).toEqual([]);
    // The same module, imported by the entry, runs.
    expect(await result({ "src/orders.ts": WORKER }, `export { default } from "./orders";\n`)).toEqual([
      `${RULE}@0002_tenant.sql.bak:2`,
    ]);
  });

  it("counts a table as used where the deployed code's SQL or a string literal names it, not a word in the page's text", async () => {
    const devices = "CREATE TABLE devices (id INTEGER PRIMARY KEY, status TEXT);\n";
    const entry = (body: string) =>
      `export default {\n  async fetch(_r: Request, env: { DB: D1Database }) {\n    ${body}\n  },\n};\n`;
    const result = async (code: string) =>
      (await found({ "migrations/0002_devices.sql.disabled": devices }, entry(code))).keys;
    expect(await result('return new Response("<p>Your devices are listed below</p>");')).toEqual([]);
    for (const query of [
      'return Response.json(await env.DB.prepare("SELECT * FROM devices WHERE status = ?").bind("on").all());',
      'await env.DB.prepare(`UPDATE "devices" SET status = ?`).bind("off").run(); return new Response();',
      // An ORM's table definition, the way drizzle and Lucia's adapters name tables.
      'const t = sqliteTable("devices", {}); return new Response(String(t));',
    ]) {
      expect(await result(query), query).toEqual([`${RULE}@0002_devices.sql.disabled:1`]);
    }
  });

  it("names the commit that renamed it out of the apply set", async () => {
    const dir = writeProject({
      "migrations/0001_base.sql": BASE_MIGRATION,
      "migrations/0002_tenant.sql": TENANT,
      "migrations/0003_more.sql": "CREATE INDEX ix_orders_status ON orders (status);\n",
      "src/index.ts": WORKER,
    });
    const git = (...args: string[]) =>
      execFileSync("git", ["-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com", ...args], {
        stdio: "ignore",
      });
    git("init", "-q");
    git("add", ".");
    git("commit", "-qm", "v1");
    renameSync(join(dir, "migrations/0002_tenant.sql"), join(dir, "migrations/0002_tenant.sql.bak"));
    git("add", "-A");
    git("commit", "-qm", "set 0002 aside");
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    const f = r.findings.find((x) => x.rule === RULE);
    expect(f?.message).toMatch(/before it was renamed from 0002_tenant\.sql in commit [0-9a-f]{7}/);
  });
});
