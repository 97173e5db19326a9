import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations } from "../../d1/testing.js";

const RULE = "d1/apply-not-remote";

function pkg(scripts: Record<string, string>, wrangler?: string): string {
  return `${JSON.stringify({ name: "app", scripts, ...(wrangler ? { devDependencies: { wrangler } } : {}) }, null, 2)}\n`;
}

async function found(files: Record<string, string>) {
  const r = await checkMigrations({ "migrations/0001_base.sql": BASE_MIGRATION, ...files });
  return r.findings.filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  it("flags a production migrate script without --remote, at the script's line", async () => {
    const [f, more] = await found({
      "package.json": pkg(
        {
          "db:migrate:local": "wrangler d1 migrations apply shop --local",
          "db:migrate:prod": "wrangler d1 migrations apply shop",
          deploy: "npm run build && wrangler d1 migrations apply shop --env production && wrangler deploy",
        },
        "^3.78.0",
      ),
    });
    expect([f?.file, f?.line, f?.severity]).toEqual(["package.json", 5, "warning"]);
    expect(f?.message).toContain(
      "the `db:migrate:prod` script runs `wrangler d1 migrations apply shop` without `--remote`",
    );
    expect(f?.message).toContain("wrangler 3.78 (asked for by package.json)");
    expect(f?.fix).toContain("wrangler d1 migrations apply shop --remote");
    // `--env production` picks the config's environment, not the remote database.
    expect(more?.message).toContain("the `deploy` script");
  });

  it("stays quiet for --remote, --local, scripts named for local work and wrangler before 3.33", async () => {
    expect(
      await found({
        "package.json": pkg({
          "db:migrate:prod": "wrangler d1 migrations apply shop --remote",
          "migrate:remote:dry": "wrangler d1 migrations apply shop --local",
          "db:migrate:dev": "wrangler d1 migrations apply shop",
          "test:deploy": "wrangler d1 migrations apply shop",
        }),
      }),
    ).toEqual([]);
    // Before 3.33, apply went to the remote database by default.
    expect(
      await found({ "package.json": pkg({ "db:migrate:prod": "wrangler d1 migrations apply shop" }, "3.20.0") }),
    ).toEqual([]);
  });

  it("only judges scripts that apply this folder's config", async () => {
    const other = await found({
      "package.json": pkg({ "db:migrate:prod": "wrangler d1 migrations apply other -c other/wrangler.toml" }),
    });
    expect(other).toEqual([]);
  });
});
