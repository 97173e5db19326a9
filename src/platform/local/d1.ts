import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BlastwallError } from "../../core/errors.js";
import type { MigrationOrder } from "../../core/migration-order.js";
import { listMigrationFiles } from "../../project/d1-migrations.js";
import type { MigrationState } from "../platform.js";
import { writeFileAtomic } from "./state.js";

/** The slice of the D1 client API the edge uses (Miniflare's `getD1Database` returns it). */
export interface D1Statement {
  bind(...values: unknown[]): D1Statement;
  all<T = Record<string, unknown>>(): Promise<{ results: T[] }>;
}
export interface D1Client {
  prepare(sql: string): D1Statement;
  batch(statements: D1Statement[]): Promise<{ results: unknown[] }[]>;
}

/** wrangler's default migrations table. */
export const DEFAULT_MIGRATIONS_TABLE = "d1_migrations";

/** Same DDL as `wrangler d1 migrations apply`, so the local table reads like the production one. */
function migrationsTableDdl(table: string): string {
  return `CREATE TABLE IF NOT EXISTS ${table}(
		id         INTEGER PRIMARY KEY AUTOINCREMENT,
		name       TEXT UNIQUE,
		applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
);`;
}

function checkTableName(table: string): string {
  if (!/^[A-Za-z_][\w]*$/.test(table)) {
    throw new BlastwallError(`migrations_table "${table}" is not a plain SQL identifier`, {
      fix: "use letters, digits and underscores, e.g. d1_migrations",
    });
  }
  return table;
}

/** Migration files in apply order, exactly as the project's wrangler lists them (`*.sql`, or `migrations_pattern`). */
export function migrationFiles(dir: string, order?: MigrationOrder, pattern?: string): string[] {
  if (!existsSync(dir)) return [];
  return listMigrationFiles(dir, order, pattern);
}

export interface MigrationsTarget {
  db: D1Client;
  dir: string;
  table?: string;
  /** The project's wrangler order; default: the current wrangler's. */
  order?: MigrationOrder;
  /** `migrations_pattern` relative to `dir` (wrangler 4.98+), when the binding sets one. */
  pattern?: string;
}

/** Applied and pending migrations, in apply order. */
export async function listMigrations({ db, dir, table = DEFAULT_MIGRATIONS_TABLE, order, pattern }: MigrationsTarget) {
  const t = checkTableName(table);
  const [, applied] = await db.batch([
    db.prepare(migrationsTableDdl(t)),
    db.prepare(`SELECT name, applied_at FROM ${t} ORDER BY id`),
  ]);
  const rows = (applied?.results ?? []) as { name: string; applied_at: string }[];
  const byName = new Map(rows.map((r) => [r.name, r.applied_at]));
  const states: MigrationState[] = migrationFiles(dir, order, pattern).map((name) => {
    const at = byName.get(name);
    return at === undefined ? { name, applied: false } : { name, applied: true, appliedAt: at };
  });
  // Applied migrations whose file is gone still belong to the history.
  for (const r of rows)
    if (!states.some((s) => s.name === r.name)) states.push({ name: r.name, applied: true, appliedAt: r.applied_at });
  return states;
}

/**
 * Applies pending migrations in order, each in one transaction together with its row in the migrations table
 * (wrangler appends the same INSERT to each file). Stops at `upTo` when given. Returns the names applied.
 */
export async function applyMigrations(target: MigrationsTarget, upTo?: string): Promise<string[]> {
  const t = checkTableName(target.table ?? DEFAULT_MIGRATIONS_TABLE);
  const states = await listMigrations(target);
  if (upTo !== undefined && !states.some((s) => s.name === upTo)) {
    throw new BlastwallError(`no migration named ${upTo} in ${target.dir}`, {
      location: { file: target.dir },
      fix: `pick one of: ${states.map((s) => s.name).join(", ")}`,
    });
  }
  const applied: string[] = [];
  for (const s of states) {
    if (!s.applied) {
      const sql = readFileSync(join(target.dir, s.name), "utf8");
      try {
        await target.db.batch([
          target.db.prepare(sql),
          target.db.prepare(`INSERT INTO ${t} (name) VALUES (?)`).bind(s.name),
        ]);
      } catch (err) {
        throw new BlastwallError(`migration ${s.name} failed and was rolled back: ${(err as Error).message}`, {
          kind: "failure",
          location: { file: join(target.dir, s.name) },
          fix: "fix the statement, then apply again; earlier migrations stay applied",
          cause: err,
        });
      }
      applied.push(s.name);
    }
    if (s.name === upTo) break;
  }
  return applied;
}

/** A restore point's contents: the schema objects and every row, as SQL. */
export interface D1Snapshot {
  schema: { type: string; name: string; sql: string }[];
  inserts: string[];
}

const SCHEMA_QUERY =
  "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' ORDER BY rowid";

const SEQUENCE_INSERT = "INSERT INTO sqlite_sequence";
/** sqlite_sequence exists only once some table used AUTOINCREMENT. */
const SEQUENCE_EXISTS = "SELECT 1 AS x FROM sqlite_master WHERE name = 'sqlite_sequence'";

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Takes a consistent snapshot: the row queries run in one D1 batch, which is one transaction, so no write can land
 * between two tables. Values are read with SQLite's quote(), which keeps integers, text and blobs exact.
 */
export async function snapshot(db: D1Client): Promise<D1Snapshot> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const schema = (await db.prepare(SCHEMA_QUERY).all<{ type: string; name: string; tbl_name: string; sql: string }>())
      .results;
    const tables = schema.filter((s) => s.type === "table");
    const columns = await Promise.all(
      tables.map(
        async (t) =>
          (await db.prepare("SELECT name FROM pragma_table_info(?)").bind(t.name).all<{ name: string }>()).results,
      ),
    );
    const rowQueries = tables.map((t, i) => {
      const cols = (columns[i] ?? []).map((c) => quoteIdent(c.name));
      const values = cols.map((c) => `quote(${c})`).join(" || ',' || ");
      return db.prepare(
        `SELECT 'INSERT INTO ${quoteIdent(t.name).replace(/'/g, "''")} (${cols.join(", ").replace(/'/g, "''")}) VALUES (' || ${values} || ');' AS stmt FROM ${quoteIdent(t.name)}`,
      );
    });
    const hasSequence = (await db.prepare(SEQUENCE_EXISTS).all()).results.length > 0;
    const results = await db.batch([
      db.prepare(SCHEMA_QUERY),
      db.prepare(hasSequence ? "SELECT name, seq FROM sqlite_sequence" : "SELECT 1 WHERE 0"),
      ...rowQueries,
    ]);
    const [schemaAgain, sequence, ...rows] = results;
    // A migration between reading the schema and the batch would change the column lists: read again.
    if (JSON.stringify(schemaAgain?.results) !== JSON.stringify(schema)) continue;
    const inserts = rows.flatMap((r) => (r.results as { stmt: string }[]).map((x) => x.stmt));
    for (const s of (sequence?.results ?? []) as { name: string; seq: number }[]) {
      inserts.push(`${SEQUENCE_INSERT} (name, seq) VALUES ('${s.name.replace(/'/g, "''")}', ${Number(s.seq)});`);
    }
    return { schema: schema.map((s) => ({ type: s.type, name: s.name, sql: s.sql })), inserts };
  }
  throw new BlastwallError("the database schema kept changing while the restore point was taken", {
    kind: "failure",
    fix: "wait for running migrations to finish, then take the restore point again",
  });
}

const CREATE_ORDER: Record<string, number> = { table: 0, index: 1, view: 2, trigger: 3 };

/**
 * Restores a snapshot in one transaction: drops every object, recreates the schema, reinserts every row.
 * Foreign keys are deferred so that the order of tables does not matter.
 */
export async function restoreSnapshot(db: D1Client, snap: D1Snapshot): Promise<void> {
  const current = (await db.prepare(SCHEMA_QUERY).all<{ type: string; name: string }>()).results;
  const sequence = await db.prepare(SEQUENCE_EXISTS).all();
  const drops = current
    .filter((o) => o.type === "view" || o.type === "trigger")
    .map((o) => `DROP ${o.type.toUpperCase()} IF EXISTS ${quoteIdent(o.name)}`)
    .concat(current.filter((o) => o.type === "table").map((o) => `DROP TABLE IF EXISTS ${quoteIdent(o.name)}`));
  const creates = [...snap.schema]
    .sort((a, b) => (CREATE_ORDER[a.type] ?? 9) - (CREATE_ORDER[b.type] ?? 9))
    .map((s) => s.sql);
  const counters = snap.inserts.filter((i) => i.startsWith(SEQUENCE_INSERT));
  const rows = snap.inserts.filter((i) => !i.startsWith(SEQUENCE_INSERT));
  const statements = [
    "PRAGMA defer_foreign_keys = ON",
    ...drops,
    ...(sequence.results.length > 0 ? ["DELETE FROM sqlite_sequence"] : []),
    ...creates,
    ...rows,
    // Inserting rows with explicit AUTOINCREMENT ids writes sqlite_sequence too: put the saved counters back last.
    ...(counters.length > 0 ? ["DELETE FROM sqlite_sequence", ...counters] : []),
  ];
  await db.batch(statements.map((s) => db.prepare(s)));
}

export function writeSnapshot(file: string, snap: D1Snapshot, meta: Record<string, unknown>): void {
  writeFileAtomic(file, `${JSON.stringify({ ...meta, ...snap })}\n`);
}

export function readSnapshot(file: string): D1Snapshot {
  const doc = JSON.parse(readFileSync(file, "utf8")) as Partial<D1Snapshot>;
  return { schema: doc.schema ?? [], inserts: doc.inserts ?? [] };
}
