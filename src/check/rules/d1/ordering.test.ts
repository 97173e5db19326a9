import { describe, expect, it } from "vitest";
import { checkMigrations, hits, TEST_WRANGLER } from "../../d1/testing.js";

const T = (n: number) => `CREATE TABLE t${n} (id INTEGER);\n`;

describe("d1/duplicate-migration-number", () => {
  const BASE = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n";
  const dup = (r: Awaited<ReturnType<typeof checkMigrations>>) =>
    r.findings.filter((f) => f.rule === "d1/duplicate-migration-number");

  it("flags a pair where the other order fails, says which file fails, and gives a free number", async () => {
    const r = await checkMigrations({
      "migrations/0005_init.sql": BASE,
      "migrations/0006_a.sql": "CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT);\n",
      "migrations/0006_b.sql": "CREATE INDEX tags_name ON tags (name);\n",
    });
    const [f, ...rest] = dup(r);
    expect(rest).toEqual([]);
    expect([f?.file, f?.severity]).toEqual(["migrations/0006_b.sql", "error"]);
    expect(f?.message).toContain("with 0006_b.sql first, 0006_b.sql fails at line 1: no such table: main.tags");
    expect(f?.message).toContain("if 0006_b.sql was merged and applied first");
    expect(f?.fix).toContain("0007_b.sql");
  });
  it("flags a pair that adds the same column: whichever runs second fails", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": BASE,
      "migrations/0002_auth.sql": "ALTER TABLE users ADD COLUMN token TEXT;\n",
      "migrations/0002_token.sql": "ALTER TABLE users ADD COLUMN token TEXT;\n",
    });
    expect(hits(r, "d1/duplicate-migration-number")).toEqual(["d1/duplicate-migration-number@0002_token.sql:1"]);
    expect(dup(r)[0]?.message).toContain("0002_auth.sql fails at line 1: duplicate column name: token");
  });
  it("flags a pair whose orders leave different schemas", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": BASE,
      "migrations/0002_a.sql": "CREATE TABLE IF NOT EXISTS audit (id INTEGER, at TEXT);\n",
      "migrations/0002_b.sql": "CREATE TABLE IF NOT EXISTS audit (id INTEGER, who TEXT);\n",
    });
    const [f] = dup(r);
    expect([f?.file, f?.severity]).toEqual(["migrations/0002_b.sql", "error"]);
    expect(f?.message).toContain(
      "table audit differs: columns (id, at) in name order, (id, who) with 0002_b.sql first",
    );
  });
  it("flags a pair whose orders leave different rows", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": `${BASE}INSERT INTO users (id, email) VALUES (1, 'A@x.io');\n`,
      "migrations/0002_lower.sql": "UPDATE users SET email = lower(email);\n",
      "migrations/0002_seed.sql": "INSERT INTO users (id, email) VALUES (2, 'B@x.io');\n",
    });
    const [f] = dup(r);
    expect([f?.file, f?.severity]).toEqual(["migrations/0002_seed.sql", "error"]);
    expect(f?.message).toContain("table users holds other rows: 2 in name order, 2 with 0002_seed.sql first");
  });
  it("reports as info when the orders differ only in a table's column order", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": BASE,
      "migrations/0002_a.sql": "ALTER TABLE users ADD COLUMN a TEXT;\n",
      "migrations/0002_b.sql": "ALTER TABLE users ADD COLUMN b TEXT;\n",
    });
    const [f] = dup(r);
    expect(f?.severity).toBe("info");
    expect(f?.message).toContain("(id, email, a, b) in name order, (id, email, b, a) with 0002_b.sql first");
  });
  it("reports a pair that commutes as info only: both orders give the same schema and rows", async () => {
    const r = await checkMigrations({
      "migrations/0005_a.sql": "CREATE TABLE t5 (id INTEGER);\n",
      "migrations/0006_a.sql": "CREATE TABLE t6 (id INTEGER);\nINSERT INTO t6 VALUES (1);\n",
      "migrations/0006_b.sql": "CREATE TABLE t7 (id INTEGER);\nCREATE INDEX t5_id ON t5 (id);\n",
    });
    expect(dup(r).map((f) => [f.file, f.severity])).toEqual([["migrations/0006_b.sql", "info"]]);
    expect(dup(r)[0]?.message).toContain("give the same schema and rows");
  });
  it("ignores rows that differ between two runs of the same order (random ids)", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": BASE,
      "migrations/0002_a.sql": "CREATE TABLE keys (k TEXT);\nINSERT INTO keys VALUES (hex(randomblob(8)));\n",
      "migrations/0002_b.sql": "CREATE INDEX users_email ON users (email);\n",
    });
    expect(dup(r).map((f) => f.severity)).toEqual(["info"]);
  });
  it("does not flag distinct numbers, and honours a file's ignore", async () => {
    expect(hits(await checkMigrations({ "migrations/0001_a.sql": T(1), "migrations/0002_b.sql": T(2) }))).toEqual([]);
    const r = await checkMigrations({
      "migrations/0006_a.sql": "CREATE TABLE tags (id INTEGER, name TEXT);\n",
      "migrations/0006_b.sql":
        "-- blastwall-ignore-file d1/duplicate-migration-number: shipped together\nCREATE INDEX tags_name ON tags (name);\n",
    });
    expect(hits(r)).toEqual([]);
  });
});

describe("d1/journal-order", () => {
  const journal = (tags: string[]) =>
    JSON.stringify({ version: "7", dialect: "sqlite", entries: tags.map((tag, idx) => ({ idx, tag, when: idx })) });
  it("flags the first file where drizzle's journal and wrangler disagree", async () => {
    const r = await checkMigrations({
      "migrations/0000_init.sql": T(0),
      "migrations/0001_zebra.sql": T(1),
      "migrations/0001_apple.sql": T(2),
      "migrations/meta/_journal.json": journal(["0000_init", "0001_zebra", "0001_apple"]),
    });
    expect(hits(r, "d1/journal-order")).toEqual(["d1/journal-order@0001_apple.sql:1"]);
  });
  it("does not flag a journal in file order", async () => {
    const r = await checkMigrations({
      "migrations/0000_init.sql": T(0),
      "migrations/0001_next.sql": T(1),
      "migrations/meta/_journal.json": journal(["0000_init", "0001_next"]),
    });
    expect(hits(r, "d1/journal-order")).toEqual([]);
  });
});

describe("d1/non-migration-file", () => {
  it("flags seed and test data in the migrations folder", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": T(1),
      "migrations/seed.sql": "INSERT INTO t1 VALUES (1);\n",
      "migrations/0002_test_data.sql": "INSERT INTO t1 VALUES (2);\n",
    });
    expect(hits(r, "d1/non-migration-file").sort()).toEqual([
      "d1/non-migration-file@0002_test_data.sql:1",
      "d1/non-migration-file@seed.sql:1",
    ]);
  });
  it("does not flag numbered reference data or tables named after tests", async () => {
    const r = await checkMigrations({
      "migrations/0001_create_tests.sql": T(1),
      "migrations/0002_seed_roles.sql": "INSERT INTO t1 VALUES (1);\n",
      "migrations/0003_seed_users.sql": "INSERT INTO t1 (id, email) VALUES (3, 'a@x.io');\n",
      "migrations/0004_devices.sql": "INSERT INTO t1 (id, password_salt) VALUES (4, 'x');\n",
    });
    expect(hits(r, "d1/non-migration-file")).toEqual([]);
  });
  it("does not flag a file named as a seed that writes no rows (a feature so named)", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": "CREATE TABLE t1 (id INTEGER PRIMARY KEY, email TEXT);\n",
      "migrations/0002_add_qa_seed_state.sql": "CREATE TABLE qa_seed_state (id INTEGER PRIMARY KEY, seeded_at TEXT);\n",
      "migrations/seed_tables.sql": "CREATE TABLE seeds (id INTEGER PRIMARY KEY);\n",
    });
    expect(hits(r, "d1/non-migration-file")).toEqual([]);
  });

  it("flags a numbered seed named for dev or demo, or one that seeds a literal login", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": T(1),
      "migrations/0002_seed_dev.sql": "INSERT INTO t1 VALUES (1);\n",
      "migrations/0003_seed.sql": "INSERT INTO t1 (id, login, \"password_hash\") VALUES (2, 'admin', 'f7f8');\n",
    });
    expect(hits(r, "d1/non-migration-file").sort()).toEqual([
      "d1/non-migration-file@0002_seed_dev.sql:1",
      "d1/non-migration-file@0003_seed.sql:1",
    ]);
    const login = r.findings.find((f) => f.file.endsWith("0003_seed.sql"));
    expect(login?.message).toContain("seeds literal password_hash values");
  });
  it("flags a migration of any name that seeds a literal password: a known login in every database", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": T(1),
      "migrations/0002_create_users.sql": "INSERT INTO t1 (id, email, password_hash) VALUES (1, 'ops@x.io', '6b0e');\n",
      "migrations/0003_ctf_config.sql": "INSERT INTO t1 (id, password_salt) VALUES (2, 'c2Fs');\n",
    });
    expect(hits(r, "d1/non-migration-file")).toEqual(["d1/non-migration-file@0002_create_users.sql:1"]);
  });
  it("reads credential columns in any spelling, API-key tables, upserts and password resets", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": T(1),
      "migrations/0002_admin.sql":
        'INSERT INTO "User" ("id", "username", "passwordHash") VALUES (\'a1\', \'root\', \'$2b$10$abc\')\nON CONFLICT("username") DO UPDATE SET "passwordHash" = \'$2b$10$abc\';\n',
      "migrations/0003_fix_api_key.sql":
        "INSERT OR REPLACE INTO api_keys (id, key, name, enabled) VALUES ('k1', 'la_dev_DA77', 'Fixed key', 1);\n",
      "migrations/0004_reset.sql": "UPDATE users SET password_hash = '5e88489' WHERE email = 'ops@x.io';\n",
    });
    expect(hits(r, "d1/non-migration-file").sort()).toEqual([
      "d1/non-migration-file@0002_admin.sql:1",
      "d1/non-migration-file@0003_fix_api_key.sql:1",
      "d1/non-migration-file@0004_reset.sql:1",
    ]);
    expect(r.findings.find((f) => f.file.endsWith("0003_fix_api_key.sql"))?.message).toContain(
      "seeds literal key values",
    );
  });
  it("flags a settings row keyed by a credential with a literal value, at its INSERT", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": T(1),
      "migrations/0002_admin_config.sql":
        "CREATE TABLE admin_config (key TEXT PRIMARY KEY, value TEXT);\nINSERT OR IGNORE INTO admin_config (key, value) VALUES ('site_name', 'Lab'), ('admin_password', 'admin');\n",
      "migrations/0003_settings.sql":
        "CREATE TABLE settings (setting_key TEXT, setting_value TEXT);\nINSERT INTO settings (setting_key, setting_value) VALUES ('password_min_length', '12'), ('require_password', 'true'), ('jwt_secret', ''), ('token', '{\"refresh_hours\":8}');\n",
    });
    expect(hits(r, "d1/non-migration-file")).toEqual(["d1/non-migration-file@0002_admin_config.sql:2"]);
    expect(r.findings.find((f) => f.rule === "d1/non-migration-file")?.message).toContain(
      "seeds a literal 'admin_password' in admin_config, so every database gets the same known login",
    );
  });
  it("does not flag a credential column filled by an expression, NULL or an empty string", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": T(1),
      "migrations/0002_keys.sql":
        "INSERT INTO api_keys (id, key, name) VALUES ('k1', 'la_' || hex(randomblob(16)), 'Generated');\n",
      "migrations/0003_users.sql":
        "INSERT INTO users (id, email, password_hash) VALUES (1, 'a@x.io', NULL), (2, 'b@x.io', '');\n",
      "migrations/0004_clear.sql": "UPDATE users SET password_hash = NULL WHERE email = 'a@x.io';\n",
    });
    expect(hits(r, "d1/non-migration-file")).toEqual([]);
  });
  it("flags an INSERT that its own comment calls sample or demo data, at the INSERT, and not other comments", async () => {
    const r = await checkMigrations({
      "migrations/0001_init.sql": T(1),
      "migrations/0002_posts.sql":
        "CREATE TABLE posts (id TEXT);\n\n-- Insert sample posts\nINSERT INTO posts VALUES ('p1');\n",
      "migrations/0003_roles.sql":
        "-- Default roles, e.g. a sample of what admins can grant\nCREATE TABLE roles (id TEXT);\nINSERT INTO roles VALUES ('admin');\n",
      "migrations/0004_flags.sql": "-- Seed the feature flags\nINSERT INTO t1 VALUES (5);\n",
      "migrations/0005_plugins.sql": "-- Insert demo login plugin\nINSERT INTO t1 VALUES (6);\n",
    });
    expect(hits(r, "d1/non-migration-file")).toEqual(["d1/non-migration-file@0002_posts.sql:4"]);
    const found = r.findings.find((f) => f.rule === "d1/non-migration-file");
    expect(found?.message).toContain("inserts rows that its own comment calls sample data (-- Insert sample posts)");
    expect(found?.severity).toBe("warning");
  });
  it("flags a schema file that drops or empties tables, and not one that only creates them", async () => {
    const dropping = await checkMigrations({
      "migrations/0001_init.sql": T(1),
      "migrations/schema.sql": "DROP TABLE IF EXISTS media_assets;\nCREATE TABLE media_assets (id TEXT PRIMARY KEY);\n",
    });
    expect(hits(dropping, "d1/non-migration-file")).toEqual(["d1/non-migration-file@schema.sql:1"]);
    expect(dropping.findings.find((f) => f.rule === "d1/non-migration-file")?.message).toContain(
      "schema.sql is a schema file that empties media_assets",
    );
    const creating = await checkMigrations({
      "migrations/0001_init.sql": T(1),
      "migrations/schema.sql": "CREATE TABLE IF NOT EXISTS media_assets (id TEXT PRIMARY KEY);\n",
      "migrations/0002_drop_old.sql": "DROP TABLE t1;\n",
    });
    expect(hits(creating, "d1/non-migration-file")).toEqual([]);
  });
  it("does not flag seeds in a folder only bindings without a database_id apply (wrangler cannot apply it remotely)", async () => {
    const files = {
      "migrations/0001_init.sql": T(1),
      "migrations/0002_seed_demo.sql": "INSERT INTO t1 VALUES (1);\n",
    };
    const local = await checkMigrations({
      ...files,
      "wrangler.toml": TEST_WRANGLER.replace(/^database_id = .*$/m, ""),
    });
    expect(hits(local, "d1/non-migration-file")).toEqual([]);
    const remote = await checkMigrations(files);
    expect(hits(remote, "d1/non-migration-file")).toEqual(["d1/non-migration-file@0002_seed_demo.sql:1"]);
  });
});

describe("d1/order-depends-on-wrangler", () => {
  it("warns when text and number order differ", async () => {
    const r = await checkMigrations({ "migrations/9_x.sql": T(9), "migrations/10_y.sql": T(10) });
    const found = r.findings.filter((f) => f.rule === "d1/order-depends-on-wrangler");
    expect(found.map((f) => [f.file, f.severity])).toEqual([["migrations/9_x.sql", "warning"]]);
  });
  it("is quiet for padded numbers", async () => {
    const r = await checkMigrations({ "migrations/0009_x.sql": T(9), "migrations/0010_y.sql": T(10) });
    expect(hits(r, "d1/order-depends-on-wrangler")).toEqual([]);
  });
});
