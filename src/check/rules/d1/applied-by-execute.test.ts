import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations } from "../../d1/testing.js";

const RULE = "d1/applied-by-execute";
const ADD = "ALTER TABLE orders ADD COLUMN note TEXT;\n";

function pkg(scripts: Record<string, string>): string {
  return `${JSON.stringify({ name: "app", scripts }, null, 2)}\n`;
}

async function found(files: Record<string, string>) {
  const r = await checkMigrations({
    "migrations/0001_base.sql": BASE_MIGRATION,
    "migrations/0002_note.sql": ADD,
    ...files,
  });
  return r.findings.filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  it("flags a package.json script that runs migration files with d1 execute --file, at the script's line", async () => {
    const [f, more] = await found({
      "package.json": pkg({
        "db:migrate:local": "wrangler d1 execute db --local --file=./migrations/0001_base.sql",
        "db:migrate:prod":
          "wrangler d1 execute db --remote --file=./migrations/0001_base.sql && wrangler d1 execute db --remote --file migrations/0002_note.sql",
      }),
    });
    expect(more).toBeUndefined();
    expect([f?.file, f?.line, f?.severity]).toEqual(["package.json", 5, "warning"]);
    expect(f?.message).toContain("the `db:migrate:prod` script applies migrations/0001_base.sql (and 1 more)");
    expect(f?.message).not.toContain("without `--remote`");
    expect(f?.fix).toContain("INSERT INTO d1_migrations (name) VALUES ('0001_base.sql'), …");
  });

  it("says that a script without --remote only reaches the local database", async () => {
    const [f] = await found({
      "package.json": pkg({ "db:migrate:prod": "cd migrations && npx wrangler d1 execute db --file=0002_note.sql" }),
    });
    expect(f?.message).toContain("without `--remote`, wrangler 3.33 and later runs it on the local database only");
  });

  it("flags a migration whose own comment says to apply it with d1 execute --file", async () => {
    const [f] = await found({
      "migrations/0003_keys.sql":
        "-- Apply: wrangler d1 execute db --remote --file=migrations/0003_keys.sql\nCREATE TABLE keys (id TEXT);\n",
    });
    expect([f?.file, f?.line]).toEqual(["migrations/0003_keys.sql", 1]);
    // A script that applies the folder the right way makes the comment stale, not the practice.
    const applied = await found({
      "migrations/0003_keys.sql":
        "-- Apply: wrangler d1 execute db --remote --file=migrations/0003_keys.sql\nCREATE TABLE keys (id TEXT);\n",
      "package.json": pkg({ migrate: "wrangler d1 migrations apply db --remote" }),
      "wrangler.toml":
        'name = "app"\nmain = "src/index.ts"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "db"\ndatabase_id = "x"\n',
    });
    expect(applied).toEqual([]);
  });

  it("flags the first migration a plan in docs/ tells operators to run with d1 execute --remote --file, beside migrations apply", async () => {
    const plan = (flag: string) =>
      [
        "# Billing rollout",
        "",
        "```bash",
        `npx wrangler d1 execute AUTH_DB ${flag} --file=migrations/0003_billing.sql`,
        "```",
        "",
      ].join("\n");
    const setup = "# Setup\n\n`npx wrangler d1 migrations apply AUTH_DB --remote`\n";
    const files = (flag: string, readme = setup) => ({
      "migrations/0003_billing.sql": "CREATE TABLE credits (id TEXT);\n",
      "docs/plans/2026/billing.md": plan(flag),
      "README.md": readme,
    });
    const [f, ...rest] = await found(files("--remote"));
    expect(rest).toEqual([]);
    expect([f?.file, f?.line]).toEqual(["migrations/0003_billing.sql", 1]);
    expect(f?.message).toContain("docs/plans/2026/billing.md:4 tells operators");
    // Docs that only ever run the files by hand: no d1_migrations to disagree with.
    expect(await found(files("--remote", "# Setup\n"))).toEqual([]);
    // The dev database only, or a project whose scripts apply the folder with migrations apply: nothing said.
    expect(await found(files("--local"))).toEqual([]);
    const applied = {
      ...files("--remote"),
      "package.json": pkg({ migrate: "wrangler d1 migrations apply db --remote" }),
      "wrangler.toml":
        'name = "app"\nmain = "src/index.ts"\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "db"\ndatabase_id = "x"\n',
    };
    expect(await found(applied)).toEqual([]);
  });

  it("says nothing for --local scripts, files outside the migrations folder, or migrations apply", async () => {
    const files = {
      "package.json": pkg({
        dev: "wrangler d1 execute db --local --file=./migrations/0001_base.sql",
        seed: "wrangler d1 execute db --remote --file=./seed.sql",
        migrate: "wrangler d1 migrations apply db --remote",
      }),
      "seed.sql": "INSERT INTO orders (id) VALUES (1);\n",
    };
    expect(await found(files)).toEqual([]);
  });
});
