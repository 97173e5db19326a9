import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, hits } from "../../d1/testing.js";

const RULE = "d1/nested-migration";
const WORKER = `export default {
  async fetch(_req: Request, env: { DB: D1Database }) {
    await env.DB.prepare("SELECT user_id FROM sessions WHERE id = ?").bind(1).first();
    await env.DB.prepare("UPDATE orders SET oauth_id = ? WHERE id = ?").bind("g", 1).run();
    return new Response("ok");
  },
};
`;
const LUCIA = `-- Lucia tables
CREATE TABLE sessions (id TEXT PRIMARY KEY, user_id TEXT NOT NULL);
ALTER TABLE orders ADD COLUMN oauth_id TEXT;
`;

async function found(files: Record<string, string>) {
  const r = await checkMigrations({ "migrations/0001_base.sql": BASE_MIGRATION, "src/index.ts": WORKER, ...files });
  return { keys: hits(r, RULE), findings: r.findings.filter((f) => f.rule === RULE) };
}

describe(RULE, () => {
  it("flags a file in a subfolder that creates tables and columns the code uses and no applied migration has", async () => {
    const { keys, findings } = await found({ "migrations/lucia/0001_add_lucia_tables.sql": LUCIA });
    expect(keys).toEqual([`${RULE}@0001_add_lucia_tables.sql:2`]);
    const [f] = findings;
    expect(f?.file).toBe("migrations/lucia/0001_add_lucia_tables.sql");
    expect(f?.severity).toBe("error");
    expect(f?.message).toContain("sessions, orders.oauth_id are created by no migration it runs");
    expect(f?.fix).toContain("`migrations/0002_add_lucia_tables.sql`");
  });

  it("says nothing when an applied migration creates the same, the code does not use it, or the folder is an archive", async () => {
    expect((await found({ "migrations/lucia/0001.sql": LUCIA, "migrations/0002_lucia.sql": LUCIA })).keys).toEqual([]);
    const unused = "CREATE TABLE audit_trail (id TEXT PRIMARY KEY);\nALTER TABLE orders ADD COLUMN legacy_flag TEXT;";
    expect((await found({ "migrations/extra/0001_audit.sql": unused })).keys).toEqual([]);
    for (const folder of ["_archive", "down", "seeds", "rollback", "meta"])
      expect((await found({ [`migrations/${folder}/0001_lucia.sql`]: LUCIA })).keys, folder).toEqual([]);
  });
});
