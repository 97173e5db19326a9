import { describe, expect, it } from "vitest";
import { BASE_MIGRATION, checkMigrations } from "../../d1/testing.js";

const RULE = "d1/destructive-setup-file";

const pkg = (scripts: Record<string, string>) => `${JSON.stringify({ name: "app", scripts }, null, 2)}\n`;
const SCHEMA = "DROP TABLE IF EXISTS orders;\nCREATE TABLE orders (id INTEGER PRIMARY KEY);\n";
const ADMIN = "-- first account\nINSERT INTO users (email, password_hash) VALUES ('admin@shop.io', '$2b$10$abc');\n";

async function found(files: Record<string, string>) {
  const r = await checkMigrations({ "migrations/0001_base.sql": BASE_MIGRATION, ...files });
  return r.findings.filter((f) => f.rule === RULE);
}

describe(RULE, () => {
  it("flags a schema file the README runs on the folder's database, at its first DROP", async () => {
    const [f, more] = await found({
      "schema.sql": SCHEMA,
      "README.md": "## Setup\n\n```bash\n$ npx wrangler d1 execute app --remote \\\n  --file=./schema.sql\n```\n",
    });
    expect([f?.file, f?.line, f?.severity]).toEqual(["schema.sql", 1, "warning"]);
    expect(f?.message).toContain(
      "schema.sql drops or empties orders, and README.md:4 runs it on app with `wrangler d1 execute app --remote --file schema.sql`",
    );
    expect(f?.fix).toContain("`wrangler d1 migrations apply app --remote`");
    expect(more).toBeUndefined();
  });

  it("flags a seed with a literal login that a docs guide or a script runs, at the INSERT", async () => {
    const hits = await found({
      "seed.sql": ADMIN,
      "db/admin.sql": ADMIN,
      "docs/DEPLOY.md": "Load the first account:\n\n    wrangler d1 execute DB --file=./seed.sql\n",
      "package.json": pkg({ "db:admin:prod": "wrangler d1 execute app --remote --file db/admin.sql" }),
    });
    expect(hits.map((h) => `${h.file}:${h.line}`)).toEqual(["db/admin.sql:2", "seed.sql:2"]);
    expect(hits[1]?.message).toContain("seed.sql seeds literal password_hash values, one known login");
    expect(hits[1]?.message).toContain("(remote with `--remote`, or with wrangler before 3.33)");
    expect(hits[0]?.message).toContain("the `db:admin:prod` script in package.json");
  });

  it("leaves --local runs, other databases, rebuilds, chosen deletes, placeholder keys, headings and comments alone", async () => {
    expect(
      await found({
        "schema.sql": SCHEMA,
        "seed.sql": "INSERT INTO orders (id) VALUES (1);\n",
        "other.sql": SCHEMA,
        "fix.sql":
          "CREATE TABLE orders_new (id INTEGER PRIMARY KEY);\nINSERT INTO orders_new SELECT * FROM orders;\nDROP TABLE orders;\nALTER TABLE orders_new RENAME TO orders;\n",
        "demo.sql": "DELETE FROM orders WHERE id IN (1, 2);\nINSERT INTO orders (id) VALUES (1), (2);\n",
        "keys.sql": "INSERT INTO api_keys (id, api_key) VALUES (1, 'YOUR_WHOIS_API_KEY'), (2, '<token>');\n",
        "README.md": [
          "wrangler d1 execute app --remote --file=./fix.sql",
          "wrangler d1 execute app --remote --file=./demo.sql",
          "wrangler d1 execute app --remote --file=./keys.sql",
          "wrangler d1 execute app --local --file=./schema.sql",
          "wrangler d1 execute app --remote --file=./seed.sql",
          "wrangler d1 execute analytics --remote --file=./other.sql",
          "# wrangler d1 execute app --remote --file=./schema.sql",
          "wrangler d1 execute app --remote --file=./missing.sql",
        ].join("\n"),
      }),
    ).toEqual([]);
  });
});
