import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { loadProject } from "../../project/discover.js";
import { gitIn, writeProject as writeFixture } from "../config/fixture.js";
import type { CheckResult } from "../findings.js";
import { runCheck } from "../run-check.js";
import { d1Analyzer } from "./analyzer.js";

/** The wrangler.toml of a one-Worker test project with a D1 binding on `migrations/`. */
export const TEST_WRANGLER = `name = "app"
main = "src/index.ts"
compatibility_date = "2026-04-01"

[[d1_databases]]
binding = "DB"
database_name = "app"
database_id = "00000000-0000-0000-0000-000000000000"
migrations_dir = "migrations"
`;

/** The Worker writeProject puts in src/index.ts unless the files give their own. */
export const TEST_WORKER = `export default {
  async fetch(_req: Request, env: { DB: D1Database }) {
    const orders = await env.DB.prepare("SELECT id, status, total FROM orders").all();
    const items = await env.DB.prepare("SELECT id, order_id, sku FROM order_items").all();
    return Response.json({ orders: orders.results, items: items.results });
  },
};
`;

/**
 * Writes a throwaway project (wrangler.toml plus the given files, paths relative to it) and returns its folder.
 *
 * @example
 * const dir = writeProject({ "migrations/0001_init.sql": "CREATE TABLE a (x);" });
 */
export function writeProject(files: Record<string, string | Buffer>, wrangler = TEST_WRANGLER): string {
  const dir = mkdtempSync(join(tmpdir(), "blastwall-d1-"));
  writeFileSync(join(dir, "wrangler.toml"), wrangler);
  // A real (if tiny) Worker that queries BASE_MIGRATION's tables, so the code analyzer has its entry point and
  // D1 rules see code that names what the migrations change.
  mkdirSync(join(dir, "src"), { recursive: true });
  writeFileSync(join(dir, "src/index.ts"), TEST_WORKER);
  mkdirSync(join(dir, "migrations"), { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Runs only the D1 analyzer on a project written from `files`. */
export async function checkMigrations(files: Record<string, string | Buffer>, data?: string): Promise<CheckResult> {
  const dir = writeProject(files);
  loadProject(dir);
  return runCheck(dir, { analyzers: [d1Analyzer], ...(data ? { data: join(dir, data) } : {}) });
}

/** `rule@line` for each finding, the shape rule tests assert on. */
export function hits(result: CheckResult, rule?: string): string[] {
  return result.findings
    .filter((f) => !rule || f.rule === rule)
    .map((f) => `${f.rule}@${f.file.split("/").pop()}:${f.line}`);
}

/** A first migration most rule tests build on: orders, and order_items that cascade from it. */
export const BASE_MIGRATION = `CREATE TABLE orders (
  id INTEGER PRIMARY KEY,
  status TEXT,
  total INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE order_items (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  sku TEXT
);
`;

/** Checks BASE_MIGRATION followed by `sql` as 0002_change.sql, and returns the hits of `rule`. */
export async function hitsAfterBase(rule: string, sql: string, extra: Record<string, string> = {}): Promise<string[]> {
  const result = await checkMigrations({
    "migrations/0001_base.sql": BASE_MIGRATION,
    "migrations/0002_change.sql": sql,
    ...extra,
  });
  return hits(result, rule);
}

/**
 * The 12-step rebuild of BASE_MIGRATION's `orders` into a table with `columns`, copying `copy` (default: all).
 *
 * @example
 * rebuildOrders("id INTEGER PRIMARY KEY, status TEXT NOT NULL, total INTEGER NOT NULL DEFAULT 0");
 */
export function rebuildOrders(columns: string, copy = "*"): string {
  return `CREATE TABLE orders_new (${columns});
INSERT INTO orders_new SELECT ${copy} FROM orders;
DROP TABLE orders;
ALTER TABLE orders_new RENAME TO orders;`;
}

/**
 * A `wrangler d1 export`-like dump: the migrations table recording `applied`, then the schema and the rows.
 *
 * @example
 * exportDump(BASE_MIGRATION, "INSERT INTO orders (id) VALUES (1);"); // 0001_base.sql applied, one order
 */
export function exportDump(schema: string, rows = "", applied: readonly string[] = ["0001_base.sql"]): string {
  const names = applied.map((n) => `INSERT INTO d1_migrations (name) VALUES ('${n}');`).join("\n");
  return `CREATE TABLE d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL);
${names}
${schema}
${rows}`;
}

/**
 * A git repository of a project (TEST_WRANGLER) whose migrations arrive in the given commits (a file set to null is
 * deleted), then `pending` edits. `minutes` spaces the commits that far apart (default: all in the same second).
 */
export function migrationHistory(
  commits: Record<string, string | null>[],
  pending: Record<string, string> = {},
  { minutes = 0 }: { minutes?: number } = {},
): string {
  const dir = writeFixture({ "wrangler.toml": TEST_WRANGLER });
  gitIn(dir, "init", "-q");
  const start = Date.parse("2026-01-05T10:00:00Z") / 1000;
  for (const [i, files] of commits.entries()) {
    for (const [path, text] of Object.entries(files))
      if (text === null) gitIn(dir, "rm", "-q", path);
      else writeFixture({ [path]: text }, dir);
    gitIn(dir, "add", "-A");
    // gitIn passes the environment on: the committer date is what the folder's log reads.
    process.env.GIT_COMMITTER_DATE = `@${start + i * minutes * 60} +0000`;
    try {
      gitIn(dir, "commit", "-q", "-m", `c${i}`);
    } finally {
      delete process.env.GIT_COMMITTER_DATE;
    }
  }
  writeFixture(pending, dir);
  return dir;
}
