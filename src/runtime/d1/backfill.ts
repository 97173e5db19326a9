import { type Sql, type SqlIdentifier, type SqlValue, sql } from "./sql.js";

/** The rows one batch covers: keys in (`from`, `to`]. `range` is that condition as a ready `sql` fragment. */
export interface BackfillBatch {
  from: SqlValue | null;
  to: SqlValue;
  rows: number;
  range: Sql;
}

export interface Backfill {
  /** Names the cursor; a second backfill of the same table needs its own name. */
  name: string;
  table: string;
  /** A unique, indexed column to page by (keyset pagination). Default `"id"`. */
  key?: string;
  /** Rows per batch. Default 1,000. */
  batchSize?: number;
  /**
   * The writes for one batch, limited to `batch.range`. They commit in the same transaction as the cursor, so a
   * batch is applied exactly once or not at all. Make them idempotent anyway (e.g. `AND col IS NULL`).
   */
  update: (batch: BackfillBatch) => Sql | Sql[] | Promise<Sql | Sql[]>;
}

export interface RunBackfillOptions {
  /** Average rate ceiling, so the backfill does not crowd out live traffic. Default 5,000 rows/s. */
  rowsPerSecond?: number;
  /** Stop after this many batches in this run (the next run resumes). */
  maxBatches?: number;
  /** Stop starting new batches after this long, e.g. to fit a cron or queue invocation. */
  timeBudgetMs?: number;
  /** Abort between batches. A batch in flight always completes or rolls back as a whole. */
  signal?: AbortSignal;
  onProgress?: (progress: BackfillProgress) => void | Promise<void>;
  /** Table holding the cursors. Default `_blastwall_backfills`. */
  cursorTable?: string;
  /** Injected for tests; defaults to `scheduler.wait`. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export interface BackfillProgress {
  name: string;
  status: "running" | "done";
  /** Rows covered by finished batches, out of `estimatedTotal`. */
  rowsDone: number;
  estimatedTotal: number;
  /** Rows written by the updates as D1 reports them (trigger writes included); informational. */
  rowsChanged: number;
  batches: number;
  cursor: SqlValue | null;
}

export interface BackfillReport extends BackfillProgress {
  /** Why this run returned: finished, or one of the stop conditions (resume by running again). */
  stoppedBy: "done" | "already-done" | "max-batches" | "time-budget" | "aborted";
  batchesThisRun: number;
}

/** Another runner moved the cursor under this one; the batch was rolled back. */
export class BackfillConflictError extends Error {
  constructor(name: string) {
    super(`backfill "${name}": the cursor moved under this run (another runner?); its last batch was rolled back`);
    this.name = "BackfillConflictError";
  }
}

interface CursorRow {
  cursor: SqlValue | null;
  rows_done: number;
  rows_changed: number;
  batches: number;
  estimated_total: number | null;
  status: "running" | "done";
}

const defaultSleep = (ms: number): Promise<void> => scheduler.wait(ms);

function cursorTableDdl(table: SqlIdentifier): Sql {
  // `cursor` has no declared type, so SQLite keeps an INTEGER key an integer and a TEXT key text.
  // `guard` can only hold 0: setting it to 1 is how a stale batch makes its own transaction fail.
  return sql`CREATE TABLE IF NOT EXISTS ${table} (
  name TEXT PRIMARY KEY,
  cursor,
  rows_done INTEGER NOT NULL DEFAULT 0,
  rows_changed INTEGER NOT NULL DEFAULT 0,
  batches INTEGER NOT NULL DEFAULT 0,
  estimated_total INTEGER,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done')),
  guard INTEGER NOT NULL DEFAULT 0 CHECK (guard = 0),
  started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at TEXT,
  finished_at TEXT
)`;
}

/**
 * Runs (or resumes) a backfill: the third step of expand/contract, after the new column exists and the code writes
 * it. Keyset-paginated batches (1,000 rows by default); each batch's writes and the cursor advance commit together
 * in one D1 batch, so a run killed at any point resumes where it stopped and touches no row twice. Re-running a
 * finished backfill does nothing. Rate-limited; fits a cron or queue invocation through `timeBudgetMs`.
 *
 * @example
 * const report = await runBackfill(env.DB, {
 *   name: "orders.item_count", table: "orders",
 *   update: ({ range }) => sql`UPDATE orders SET item_count = 0 WHERE ${range} AND item_count IS NULL`,
 * }, { timeBudgetMs: 20_000 });
 * if (report.stoppedBy !== "done" && report.stoppedBy !== "already-done") await env.JOBS.send({ backfill: report.name });
 */
export async function runBackfill(
  db: D1Database,
  { name, table, key = "id", batchSize = 1000, update }: Backfill,
  {
    rowsPerSecond = 5000,
    maxBatches = Number.POSITIVE_INFINITY,
    timeBudgetMs = Number.POSITIVE_INFINITY,
    signal,
    onProgress,
    cursorTable = "_blastwall_backfills",
    sleep = defaultSleep,
    now = Date.now,
  }: RunBackfillOptions = {},
): Promise<BackfillReport> {
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize ${batchSize} must be a positive integer`);
  if (!(rowsPerSecond > 0)) throw new RangeError(`rowsPerSecond ${rowsPerSecond} must be positive`);
  const started = now();
  const job: Job = { db, name, t: sql.id(table), k: sql.id(key), ct: sql.id(cursorTable), batchSize, update };
  const progress = await openCursor(job, cursorTable);
  const report = (stoppedBy: BackfillReport["stoppedBy"], batchesThisRun: number): BackfillReport => ({
    ...progress,
    stoppedBy,
    batchesThisRun,
  });
  if (progress.status === "done") return report("already-done", 0);
  await estimateTotal(job, progress);

  let batchesThisRun = 0;
  for (;;) {
    if (signal?.aborted) return report("aborted", batchesThisRun);
    if (batchesThisRun >= maxBatches) return report("max-batches", batchesThisRun);
    if (now() - started >= timeBudgetMs) return report("time-budget", batchesThisRun);
    const batchStarted = now();
    const rows = await nextBatch(job, progress);
    if (rows === 0) {
      await finish(job, progress);
      await onProgress?.({ ...progress });
      return report("done", batchesThisRun);
    }
    batchesThisRun++;
    await onProgress?.({ ...progress });
    const wait = (rows / rowsPerSecond) * 1000 - (now() - batchStarted);
    if (wait > 0 && Number.isFinite(wait)) await sleep(wait);
  }
}

/** One backfill's names and statements, resolved once per run. */
interface Job {
  db: D1Database;
  name: string;
  t: SqlIdentifier;
  k: SqlIdentifier;
  ct: SqlIdentifier;
  batchSize: number;
  update: Backfill["update"];
}

/** Rows past the cursor: all of them before the first batch. */
const after = (k: SqlIdentifier, cursor: SqlValue | null): Sql =>
  cursor === null ? sql`1 = 1` : sql`${k} > ${cursor}`;

/** Creates the cursor table and this backfill's row if needed, and reads where it stands. */
async function openCursor({ db, ct, name }: Job, cursorTable: string): Promise<BackfillProgress> {
  await cursorTableDdl(ct).prepare(db).run();
  await sql`INSERT OR IGNORE INTO ${ct} (name) VALUES (${name})`.prepare(db).run();
  const progress = await readCursor(db, ct, name);
  if (progress === null) throw new Error(`backfill "${name}": cursor row vanished from ${cursorTable}`);
  return progress;
}

/** A backfill's cursor row as its progress, or null when it has none. */
async function readCursor(db: D1Database, ct: SqlIdentifier, name: string): Promise<BackfillProgress | null> {
  const row =
    await sql`SELECT cursor, rows_done, rows_changed, batches, estimated_total, status FROM ${ct} WHERE name = ${name}`
      .prepare(db)
      .first<CursorRow>();
  if (row === null) return null;
  return {
    name,
    status: row.status,
    rowsDone: row.rows_done,
    // Null until a run first estimates it, right after creating the row with rows_done 0.
    estimatedTotal: row.estimated_total ?? row.rows_done,
    rowsChanged: row.rows_changed,
    batches: row.batches,
    cursor: row.cursor,
  };
}

/** Rows left past the cursor plus rows done: exact when the run starts, an estimate while writes continue. */
async function estimateTotal({ db, t, k, ct, name }: Job, progress: BackfillProgress): Promise<void> {
  const left = await sql`SELECT count(*) AS n FROM ${t} WHERE ${after(k, progress.cursor)}`
    .prepare(db)
    .first<{ n: number }>();
  progress.estimatedTotal = progress.rowsDone + (left?.n ?? 0);
  await sql`UPDATE ${ct} SET estimated_total = ${progress.estimatedTotal} WHERE name = ${name}`.prepare(db).run();
}

async function finish({ db, ct, name }: Job, progress: BackfillProgress): Promise<void> {
  await sql`UPDATE ${ct} SET status = 'done', finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE name = ${name}`
    .prepare(db)
    .run();
  progress.status = "done";
  progress.estimatedTotal = progress.rowsDone;
}

/** Runs the next batch and moves the cursor past it, together; returns its row count (0: nothing was left). */
async function nextBatch(job: Job, progress: BackfillProgress): Promise<number> {
  const { db, t, k, ct, name, batchSize } = job;
  const page = await sql`SELECT count(*) AS n, max(${k}) AS last FROM (SELECT ${k} FROM ${t} WHERE ${after(
    k,
    progress.cursor,
  )} ORDER BY ${k} LIMIT ${batchSize})`
    .prepare(db)
    .first<{ n: number; last: SqlValue | null }>();
  const rows = page?.n ?? 0;
  if (rows === 0 || page?.last === null || page?.last === undefined) return 0;
  const to = page.last;
  const range = progress.cursor === null ? sql`${k} <= ${to}` : sql`${k} > ${progress.cursor} AND ${k} <= ${to}`;
  const writes = [await job.update({ from: progress.cursor, to, rows, range })].flat();
  // The cursor moves first, guarded: if another runner got here before us, the CHECK on `guard` fails and D1
  // rolls back this whole batch, writes included.
  const advance = sql`UPDATE ${ct} SET cursor = ${to}, rows_done = rows_done + ${rows}, batches = batches + 1,
    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'),
    guard = CASE WHEN cursor IS ${progress.cursor} AND status = 'running' THEN 0 ELSE 1 END
    WHERE name = ${name}`;
  let results: D1Result[];
  try {
    results = await db.batch([advance, ...writes].map((s) => s.prepare(db)));
  } catch (error) {
    if (/CHECK constraint failed/i.test(String(error instanceof Error ? error.message : error))) {
      throw new BackfillConflictError(name);
    }
    throw error;
  }
  progress.cursor = to;
  progress.rowsDone += rows;
  progress.batches++;
  const changed = results.slice(1).reduce((sum, r) => sum + (r.meta.changes ?? 0), 0);
  progress.rowsChanged += changed;
  if (changed > 0) {
    await sql`UPDATE ${ct} SET rows_changed = rows_changed + ${changed} WHERE name = ${name}`.prepare(db).run();
  }
  progress.estimatedTotal = Math.max(progress.estimatedTotal, progress.rowsDone);
  return rows;
}

/** Reads a backfill's progress without running it (null if it never started). */
export async function backfillProgress(
  db: D1Database,
  name: string,
  { cursorTable = "_blastwall_backfills" }: { cursorTable?: string } = {},
): Promise<BackfillProgress | null> {
  const exists = await sql`SELECT 1 AS ok FROM sqlite_master WHERE type = 'table' AND name = ${cursorTable}`
    .prepare(db)
    .first();
  if (exists === null) return null;
  return readCursor(db, sql.id(cursorTable), name);
}
