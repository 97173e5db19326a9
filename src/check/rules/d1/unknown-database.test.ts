import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations, TEST_WRANGLER } from "../../d1/testing.js";

const RULE = "d1/unknown-database";

const pkg = (scripts: Record<string, string>) => `${JSON.stringify({ name: "app", scripts }, null, 2)}\n`;

async function found(files: Record<string, string>) {
  const r = await checkMigrations({ "migrations/0001_base.sql": BASE_MIGRATION, ...files });
  return r.findings.filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  it("flags a migrate script whose database the config does not bind, at the script's line", async () => {
    const [remote, plain, execute, more] = await found({
      "package.json": pkg({
        "db:migrate:prod": "wrangler d1 migrations apply shop-production --remote",
        "db:migrate": "wrangler d1 migrations apply shop-production",
        "db:console:prod": "wrangler d1 execute --remote shop-production --command 'SELECT 1'",
      }),
    });
    expect([remote?.file, remote?.line, remote?.severity]).toEqual(["package.json", 4, "warning"]);
    expect(remote?.message).toContain(
      "the `db:migrate:prod` script runs `wrangler d1 migrations apply shop-production --remote`, but wrangler.toml binds app (binding DB)",
    );
    expect(remote?.message).toContain("Couldn't find a D1 DB with the name or binding 'shop-production'");
    expect(remote?.fix).toContain("`wrangler d1 migrations apply app --remote`");
    expect(plain?.message).toContain("a separate local database called shop-production");
    // `execute --remote` falls back to the account's databases, after a flag that comes before the name.
    expect(execute?.message).toContain("a database this Worker does not bind");
    expect(more).toBeUndefined();
  });

  it("accepts the binding or the database_name, --local, templated names and commands that name no database", async () => {
    expect(
      await found({
        "package.json": pkg({
          "db:migrate:prod": "wrangler d1 migrations apply app --remote",
          "db:migrate:binding": "wrangler d1 migrations apply DB --remote",
          "db:migrate:local": "wrangler d1 migrations apply other --local",
          "db:migrate:env": "wrangler d1 migrations apply $DB_NAME --remote",
          "db:create": "wrangler d1 create shop-production",
          "db:list": "wrangler d1 list",
          "db:seed": "wrangler d1 execute other --file seed.sql",
        }),
      }),
    ).toEqual([]);
  });

  it("reads the environment's own d1_databases with --env, and leaves other configs' scripts alone", async () => {
    const wrangler = `${TEST_WRANGLER}
[[env.staging.d1_databases]]
binding = "DB"
database_name = "app-staging"
database_id = "11111111-1111-1111-1111-111111111111"
migrations_dir = "migrations"
`;
    const hits = await found({
      "wrangler.toml": wrangler,
      "package.json": pkg({
        "migrate:staging": "wrangler d1 migrations apply app-staging --env staging --remote",
        "migrate:staging:wrong": "wrangler d1 migrations apply app --env=staging --remote",
        "migrate:other": "wrangler d1 migrations apply shop -c other/wrangler.toml --remote",
      }),
    });
    expect(hits.map((h) => h.line)).toEqual([5]);
    expect(hits[0]?.message).toContain("env.staging in wrangler.toml binds app-staging (binding DB)");
    expect(hits[0]?.fix).toContain("with --env staging");
  });
});
