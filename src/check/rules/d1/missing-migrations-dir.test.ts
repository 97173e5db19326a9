import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { d1Analyzer } from "../../d1/analyzer.js";
import { TEST_WRANGLER, writeProject } from "../../d1/testing.js";
import { runCheck } from "../../run-check.js";

describe("d1/missing-migrations-dir", () => {
  it("points at migrations_dir in the config when the folder is missing", async () => {
    const dir = writeProject(
      {},
      TEST_WRANGLER.replace('migrations_dir = "migrations"', 'migrations_dir = "db/migrations"'),
    );
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    expect(r.findings.map((f) => [f.rule, f.file, f.line])).toEqual([
      ["d1/missing-migrations-dir", "wrangler.toml", 9],
    ]);
    expect(r.findings[0]?.message).toContain('"db/migrations"');
  });
  it("stays quiet when migrations_dir is not set and the default folder does not exist", async () => {
    const dir = writeProject({}, TEST_WRANGLER.replace('migrations_dir = "migrations"\n', ""));
    rmSync(join(dir, "migrations"), { recursive: true });
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    expect(r.findings).toEqual([]);
  });
  describe("migrations_dir inside node_modules (a monorepo template, packages not installed)", () => {
    const NM = 'migrations_dir = "./node_modules/@acme/core/migrations"';
    /** A repo with apps/api (the Worker) and packages/core (the workspace package holding the migrations). */
    function monorepo(root: Record<string, string>): string {
      const dir = mkdtempSync(join(tmpdir(), "blastwall-ws-"));
      const files: Record<string, string> = {
        "apps/api/wrangler.toml": TEST_WRANGLER.replace('migrations_dir = "migrations"', NM),
        "apps/api/src/index.ts": "export default { fetch: () => new Response('ok') };",
        "apps/api/package.json": JSON.stringify({ name: "api", dependencies: { "@acme/core": "workspace:*" } }),
        "packages/core/package.json": JSON.stringify({ name: "@acme/core" }),
        "packages/core/migrations/0001_init.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);",
        "packages/core/migrations/0002_drop.sql": "ALTER TABLE orders DROP COLUMN note;",
        ...root,
      };
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      return dir;
    }

    it("reads the workspace package of that name (package.json workspaces) and says so", async () => {
      const dir = monorepo({ "package.json": JSON.stringify({ private: true, workspaces: ["apps/*", "packages/*"] }) });
      const r = await runCheck(dir, { analyzers: [d1Analyzer] });
      const info = r.findings.find((f) => f.rule === "d1/missing-migrations-dir");
      expect([info?.severity, info?.file]).toEqual(["info", "apps/api/wrangler.toml"]);
      expect(info?.message).toContain("read from the workspace package @acme/core at packages/core/migrations");
      expect(r.findings.map((f) => f.file)).toContain("packages/core/migrations/0002_drop.sql");
      expect(r.migrations.map((m) => m.file)).toEqual([
        "packages/core/migrations/0001_init.sql",
        "packages/core/migrations/0002_drop.sql",
      ]);
    });

    it("reads pnpm-workspace.yaml the same way, also when check runs in the Worker's folder", async () => {
      const dir = monorepo({ "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n  - \"packages/*\" # libs\n" });
      const r = await runCheck(join(dir, "apps/api"), { analyzers: [d1Analyzer] });
      expect(r.migrations.map((m) => m.file)).toEqual([
        "../../packages/core/migrations/0001_init.sql",
        "../../packages/core/migrations/0002_drop.sql",
      ]);
    });

    it("reads the installed package when node_modules holds it, with no word", async () => {
      const dir = monorepo({
        "apps/api/node_modules/@acme/core/migrations/0001_init.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY);",
      });
      const r = await runCheck(dir, { analyzers: [d1Analyzer] });
      expect(r.findings.filter((f) => f.rule === "d1/missing-migrations-dir")).toEqual([]);
      expect(r.migrations.map((m) => m.file)).toEqual(["apps/api/node_modules/@acme/core/migrations/0001_init.sql"]);
    });

    it("says why and how to fix when the package is neither installed nor in the workspaces", async () => {
      const dir = monorepo({ "package.json": JSON.stringify({ private: true, workspaces: ["apps/*"] }) });
      const r = await runCheck(dir, { analyzers: [d1Analyzer] });
      const f = r.findings.find((x) => x.rule === "d1/missing-migrations-dir");
      expect(f?.severity).toBe("error");
      expect(f?.message).toContain(
        "the package @acme/core is neither installed there nor a package of this repo's workspaces",
      );
      expect(f?.fix).toContain("Run `npm install`");
    });
  });
  describe("no migrations_dir, no migrations/ next to the config, and a migrations/ folder above it", () => {
    const worker = {
      "worker/wrangler.toml":
        'name = "api"\nmain = "src/index.ts"\n\n[[d1_databases]]\nbinding = "DB"\ndatabase_name = "app"\ndatabase_id = "x"\n',
      "worker/src/index.ts": "export default { fetch: () => new Response('ok') };\n",
    };
    it("says wrangler would apply nothing, gives migrations_dir, and checks the folder above", async () => {
      const dir = writeProject({
        ...worker,
        "migrations/0001_init.sql": "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);",
        "migrations/0002_drop.sql": "DROP TABLE posts;",
      });
      rmSync(join(dir, "wrangler.toml"));
      const r = await runCheck(dir, { analyzers: [d1Analyzer] });
      const f = r.findings.find((x) => x.rule === "d1/missing-migrations-dir");
      expect([f?.severity, f?.file]).toEqual(["warning", "worker/wrangler.toml"]);
      expect(f?.message).toContain("reads migrations/ next to it, which does not exist, and applies nothing");
      expect(f?.message).toContain("migrations/ (2 files) is the nearest migrations folder above it");
      expect(f?.fix).toContain('`migrations_dir = "../migrations"`');
      expect(r.migrations.map((m) => m.file)).toEqual(["migrations/0001_init.sql", "migrations/0002_drop.sql"]);
      expect(r.findings.some((x) => x.rule === "d1/drop-table")).toBe(true);
    });
    describe("a second config of the same database, while the root config applies the folder", () => {
      const cron = {
        "worker/wrangler.toml": TEST_WRANGLER.replace('migrations_dir = "migrations"\n', "").replace(
          'name = "app"',
          'name = "app-cron"',
        ),
        "worker/src/index.ts": "export default { scheduled: () => {} };\n",
        "migrations/0001_init.sql": "CREATE TABLE posts (id INTEGER PRIMARY KEY, body TEXT);",
      };
      const found = async (files: Record<string, string>, wrangler?: string) => {
        const r = await runCheck(writeProject({ ...cron, ...files }, wrangler), { analyzers: [d1Analyzer] });
        return r.findings.filter((x) => x.rule === "d1/missing-migrations-dir");
      };
      it("is info naming the config that applies the migrations: nothing is skipped", async () => {
        const [f, ...rest] = await found({
          "package.json": JSON.stringify({ scripts: { "db:migrate": "wrangler d1 migrations apply app --remote" } }),
        });
        expect(rest).toEqual([]);
        expect([f?.severity, f?.file]).toEqual(["info", "worker/wrangler.toml"]);
        expect(f?.message).toContain(
          "binds the same database (app) as wrangler.toml, which applies migrations/ (1 file)",
        );
      });
      it("stays a warning when a package.json script applies migrations through the second config", async () => {
        for (const apply of [
          "wrangler d1 migrations apply app --remote -c worker/wrangler.toml",
          "npx wrangler d1 migrations apply app --local --config=worker/wrangler.toml",
          "cd worker && wrangler d1 migrations apply app --remote",
        ]) {
          const [f] = await found({ "package.json": JSON.stringify({ scripts: { migrate: apply } }) });
          expect([apply, f?.severity]).toEqual([apply, "warning"]);
        }
      });
      it("stays a warning when the root config binds another database", async () => {
        const [f] = await found(
          {},
          TEST_WRANGLER.replace('database_name = "app"', 'database_name = "other"').replace(
            /0000-0000-0000/,
            "1111-1111-1111",
          ),
        );
        expect(f?.severity).toBe("warning");
      });
    });
    it("stays quiet when the folder above holds no SQL", async () => {
      const dir = writeProject({ ...worker, "migrations/README.md": "notes" });
      rmSync(join(dir, "wrangler.toml"));
      const r = await runCheck(dir, { analyzers: [d1Analyzer] });
      expect(r.findings.filter((x) => x.rule === "d1/missing-migrations-dir")).toEqual([]);
    });
  });
  describe("no migrations_dir, no migrations/, and drizzle-kit writes the SQL elsewhere", () => {
    const NO_DIR = TEST_WRANGLER.replace('migrations_dir = "migrations"\n', "");
    const drizzleProject = (files: Record<string, string>, wrangler = NO_DIR) => {
      const dir = writeProject(files, wrangler);
      rmSync(join(dir, "migrations"), { recursive: true });
      return dir;
    };

    it("says wrangler would apply nothing, gives migrations_dir, and checks drizzle's folder", async () => {
      const dir = drizzleProject({
        "drizzle.config.ts": `import { defineConfig } from "drizzle-kit";\nexport default defineConfig({ schema: "./src/db/schema.ts", out: './drizzle', dialect: "sqlite" });\n`,
        "drizzle/0000_init.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);",
        "drizzle/0001_drop.sql": "ALTER TABLE orders DROP COLUMN note;",
        "drizzle/seed.sql": "DELETE FROM orders;",
      });
      const r = await runCheck(dir, { analyzers: [d1Analyzer] });
      const f = r.findings.find((x) => x.rule === "d1/missing-migrations-dir");
      expect([f?.severity, f?.file, f?.line]).toEqual(["warning", "wrangler.toml", 5]);
      expect(f?.message).toContain("reads migrations/, which does not exist, and applies nothing");
      expect(f?.message).toContain(
        "drizzle.config.ts writes the migrations to drizzle/ (2 files), which were checked instead",
      );
      expect(f?.fix).toContain('`migrations_dir = "drizzle"`');
      expect(f?.fix).toContain("First move seed.sql out of drizzle/ (not checked as migrations)");
      expect(r.migrations.map((m) => m.file)).toEqual(["drizzle/0000_init.sql", "drizzle/0001_drop.sql"]);
      expect(r.findings.some((x) => x.rule === "d1/drop-column" && x.file === "drizzle/0001_drop.sql")).toBe(true);
    });

    it("finds a drizzle.config.json up the tree and its one-folder-per-migration layout", async () => {
      const dir = drizzleProject({
        "api/wrangler.jsonc": JSON.stringify({
          name: "api",
          main: "src/index.ts",
          d1_databases: [{ binding: "DB", database_name: "app", database_id: "x" }],
        }),
        "drizzle.config.json": JSON.stringify({ out: "./db/out", driver: "d1-http" }),
        "db/out/20250101_init/migration.sql": "CREATE TABLE t (a);",
      });
      const r = await runCheck(dir, { analyzers: [d1Analyzer] });
      const f = r.findings.find((x) => x.rule === "d1/missing-migrations-dir");
      expect(f?.severity).toBe("info");
      expect(f?.fix).toContain(
        '`"migrations_dir": "../db/out"` and `"migrations_pattern": "../db/out/*/migration.sql"`',
      );
      expect(r.migrations.map((m) => m.file)).toEqual(["db/out/20250101_init/migration.sql"]);
    });

    it("stays quiet when migrations/ exists, or drizzle's out holds no SQL", async () => {
      const withDefault = writeProject(
        { "drizzle.config.ts": "export default { out: './drizzle' };", "drizzle/0000.sql": "CREATE TABLE t (a);" },
        NO_DIR,
      );
      const a = await runCheck(withDefault, { analyzers: [d1Analyzer] });
      expect(a.findings.filter((x) => x.rule === "d1/missing-migrations-dir")).toEqual([]);
      const empty = drizzleProject({
        "drizzle.config.ts": "export default { out: './drizzle' };",
        "drizzle/meta/_journal.json": "{}",
      });
      expect((await runCheck(empty, { analyzers: [d1Analyzer] })).findings).toEqual([]);
    });
  });
  it("warns when migrations_dir holds one folder per migration but no migrations_pattern, and checks them", async () => {
    const dir = writeProject({
      "migrations/0000_init/migration.sql": "CREATE TABLE orders (id INTEGER PRIMARY KEY, note TEXT);",
      "migrations/0000_init/snapshot.json": "{}",
      "migrations/0001_drop/migration.sql": "ALTER TABLE orders DROP COLUMN note;",
    });
    const r = await runCheck(dir, { analyzers: [d1Analyzer] });
    const f = r.findings.find((x) => x.rule === "d1/missing-migrations-dir");
    expect([f?.severity, f?.line]).toEqual(["warning", 9]);
    expect(f?.message).toContain("reads only migrations/*.sql and applies nothing");
    expect(f?.fix).toContain('`migrations_pattern = "migrations/*/migration.sql"`');
    expect(r.migrations.map((m) => m.file)).toEqual([
      "migrations/0000_init/migration.sql",
      "migrations/0001_drop/migration.sql",
    ]);
    // With the pattern set (wrangler 4.98+) there is nothing to say.
    const fixed = writeProject(
      { "migrations/0000_init/migration.sql": "CREATE TABLE t (a);" },
      `${TEST_WRANGLER}migrations_pattern = "migrations/*/migration.sql"\n`,
    );
    const ok = await runCheck(fixed, { analyzers: [d1Analyzer] });
    expect(ok.findings.filter((x) => x.rule === "d1/missing-migrations-dir")).toEqual([]);
  });
});
