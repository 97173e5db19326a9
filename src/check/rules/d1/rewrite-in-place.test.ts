import { describe, expect, it } from "vitest";
import { checkMigrations, TEST_WRANGLER } from "../../d1/testing.js";

const PROFILE = "CREATE TABLE profile (id INTEGER PRIMARY KEY, summary TEXT, certs TEXT, price INTEGER, slug TEXT);";

/** The Worker reads every profile column, so a reshaped one breaks the running version. */
const CODE =
  "export default { fetch: (_r: Request, env: { DB: D1Database }) => env.DB.prepare('SELECT id, summary, certs, price, slug FROM profile').all() };";

async function found(sql: string, code = CODE) {
  const r = await checkMigrations({
    "wrangler.toml": TEST_WRANGLER,
    "src/index.ts": code,
    "migrations/0001_base.sql": PROFILE,
    "migrations/0002_data.sql": sql,
  });
  return r.findings.filter((f) => f.rule === "d1/rewrite-in-place");
}

describe("d1/rewrite-in-place", () => {
  it("flags a column rebuilt from its own value: JSON reshaped, text wrapped, a number scaled", async () => {
    const json = await found(
      "UPDATE profile SET certs = (\n  SELECT json_group_array(json_object('id', json_extract(value, '$.id')))\n  FROM json_each(certs)\n) WHERE certs IS NOT NULL AND certs != '[]';",
    );
    expect(json.map((f) => [f.line, f.severity])).toEqual([[1, "warning"]]);
    expect(json[0]?.message).toMatch(/UPDATE profile rebuilds certs from its own value into another shape/);
    expect(json[0]?.fix).toMatch(/ALTER TABLE profile ADD COLUMN certs_v2/);
    expect(await found("UPDATE profile SET summary = '<p>' || COALESCE(summary, '') || '</p>';")).toHaveLength(1);
    expect(await found("UPDATE profile SET price = price * 100 WHERE price IS NOT NULL;")).toHaveLength(1);
    expect(
      await found("UPDATE profile SET certs = json_extract(certs, '$[0]') WHERE json_type(certs) = 'array';"),
    ).toHaveLength(1);
  });

  it("does not flag values kept as they are: NULL fills, normalising, lookups, literals, counters", async () => {
    for (const sql of [
      "UPDATE profile SET summary = COALESCE(NULLIF(summary, ''), 'none');",
      "UPDATE profile SET slug = lower(trim(slug));",
      "UPDATE profile SET slug = REPLACE(slug, ' ', '-');",
      "UPDATE profile SET summary = CASE WHEN summary = 'x' THEN 'y' ELSE summary END;",
      "UPDATE profile SET price = price + 1;",
      "UPDATE profile SET summary = 'n/a' WHERE summary = '';",
      "CREATE TABLE m (old TEXT, new TEXT);\nUPDATE profile SET slug = (SELECT new FROM m WHERE m.old = profile.slug);",
      "UPDATE profile SET summary = summary || '.' WHERE summary IS NULL;",
    ])
      expect(await found(sql), sql).toEqual([]);
  });

  it("does not flag a bounded update, a column or table this file adds, or values saved first", async () => {
    expect(await found("UPDATE profile SET summary = summary || '!' WHERE id = 3;")).toEqual([]);
    expect(await found("ALTER TABLE profile ADD COLUMN bio TEXT;\nUPDATE profile SET bio = bio || 'x';")).toEqual([]);
    expect(await found("CREATE TABLE t (a TEXT);\nUPDATE t SET a = a || 'x';")).toEqual([]);
    expect(
      await found(
        "ALTER TABLE profile ADD COLUMN certs_old TEXT;\nUPDATE profile SET certs_old = certs;\nUPDATE profile SET certs = json_array(certs);",
      ),
    ).toEqual([]);
  });

  it("says the running code names the column, and drops to info when no code does", async () => {
    const sql = "UPDATE profile SET certs = json_array(certs);";
    const [named] = await found(sql);
    expect(named?.severity).toBe("warning");
    expect(named?.message).toMatch(
      /the code about to be deployed names certs, so the version running now likely does too/,
    );
    const [unnamed] = await found(sql, "export default { fetch: () => new Response('ok') };");
    expect(unnamed?.severity).toBe("info");
    expect(unnamed?.message).toMatch(/does not name certs/);
  });
});
