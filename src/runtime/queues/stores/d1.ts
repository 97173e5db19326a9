import type {
  ClaimRequest,
  ClaimResult,
  DoneEntry,
  IdempotencyRecord,
  IdempotencyStore,
  RecordState,
  RecordStatus,
  SettleRequest,
  SettleResult,
} from "./types.js";
import { type RecordRow, recordOf, stateOf } from "./types.js";

export interface D1IdempotencyOptions {
  /** Table for the records; created on first use together with `<table>_guard`. Default `blastwall_idempotency`. */
  table?: string;
  /** Expired records deleted per claim, so the table stays bounded without a cron. Default 100. */
  sweepLimit?: number;
}

const LEASE_LOST = "lease_lost";

// Tables already created, per database binding and table, so a warm isolate skips the CREATE statements.
const createdTables = new WeakMap<D1Database, Set<string>>();

/** The SQL of one records table and its guard table. */
class D1Sql {
  readonly guard: string;

  constructor(
    private readonly db: D1Database,
    readonly table: string,
    private readonly sweepLimit: number,
  ) {
    this.guard = `${table}_guard`;
  }

  schema(): D1PreparedStatement[] {
    const { db, table, guard } = this;
    return [
      db.prepare(
        `CREATE TABLE IF NOT EXISTS ${table} (key TEXT NOT NULL PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('INPROGRESS', 'COMPLETED')), owner TEXT NOT NULL, lease_until INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID`,
      ),
      db.prepare(`CREATE INDEX IF NOT EXISTS ${table}_expires ON ${table} (expires_at)`),
      // Never holds a row: inserting 1 here is how a commit aborts itself when a claim is no longer ours.
      db.prepare(
        `CREATE TABLE IF NOT EXISTS ${guard} (${LEASE_LOST} INTEGER CONSTRAINT ${LEASE_LOST} CHECK (${LEASE_LOST} = 0))`,
      ),
    ];
  }

  /** Aborts the whole batch() unless every key is still held (INPROGRESS by default) under this owner. */
  guardAll(keys: readonly string[], owner: string, status: RecordStatus = "INPROGRESS"): D1PreparedStatement {
    return this.db
      .prepare(
        `INSERT INTO ${this.guard} (${LEASE_LOST}) SELECT 1 WHERE (SELECT count(*) FROM ${this.table} WHERE key IN (SELECT value FROM json_each(?1)) AND owner = ?2 AND status = ?3) <> json_array_length(?1)`,
      )
      .bind(JSON.stringify(keys), owner, status);
  }

  complete(keys: readonly string[], owner: string, now: number, ttlMs: number): D1PreparedStatement {
    return this.db
      .prepare(
        `UPDATE ${this.table} SET status = 'COMPLETED', lease_until = ?3, expires_at = ?4 WHERE key IN (SELECT value FROM json_each(?1)) AND owner = ?2`,
      )
      .bind(JSON.stringify(keys), owner, now, now + ttlMs);
  }

  release(keys: readonly string[], owner: string): D1PreparedStatement {
    return this.db
      .prepare(
        `DELETE FROM ${this.table} WHERE key IN (SELECT value FROM json_each(?1)) AND owner = ?2 AND status = 'INPROGRESS'`,
      )
      .bind(JSON.stringify(keys), owner);
  }

  /** Sweeps expired records, then claims every key that is free, expired, or whose lease ran out, in one statement. */
  claim(
    { keys, owner, now, leaseMs, ttlMs }: ClaimRequest,
    status: RecordStatus = "INPROGRESS",
  ): D1PreparedStatement[] {
    const { db, table } = this;
    const list = JSON.stringify(keys);
    return [
      db
        .prepare(
          `DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} WHERE expires_at <= ?1 LIMIT ?2) AND key NOT IN (SELECT value FROM json_each(?3))`,
        )
        .bind(now, this.sweepLimit, list),
      db
        .prepare(
          `INSERT INTO ${table} (key, status, owner, lease_until, expires_at) SELECT value, ?6, ?2, ?3, ?4 FROM json_each(?1) WHERE true ON CONFLICT (key) DO UPDATE SET status = excluded.status, owner = excluded.owner, lease_until = excluded.lease_until, expires_at = excluded.expires_at WHERE ${table}.expires_at <= ?5 OR (${table}.status = 'INPROGRESS' AND ${table}.lease_until <= ?5)`,
        )
        .bind(list, owner, now + leaseMs, now + ttlMs, now, status),
    ];
  }

  select(keys: readonly string[]): D1PreparedStatement {
    return this.db
      .prepare(
        `SELECT key, status, owner, lease_until, expires_at FROM ${this.table} WHERE key IN (SELECT value FROM json_each(?1))`,
      )
      .bind(JSON.stringify(keys));
  }
}

function claimOutcome(row: RecordRow, owner: string): ClaimResult {
  if (row.owner === owner && row.status === "INPROGRESS") return { outcome: "claimed" };
  if (row.status === "COMPLETED") return { outcome: "completed" };
  return { outcome: "in_flight", leaseUntil: row.lease_until };
}

class D1IdempotencyStore implements IdempotencyStore {
  readonly kind = "d1";
  readonly guarantee = "strong";
  readonly commitsStatements = true;

  constructor(
    private readonly db: D1Database,
    private readonly sql: D1Sql,
    private readonly created: Set<string>,
  ) {}

  /** The schema statements until this isolate has created the tables once. */
  private schemaIfNew(): D1PreparedStatement[] {
    return this.created.has(this.sql.table) ? [] : this.sql.schema();
  }

  async claim(request: ClaimRequest): Promise<Map<string, ClaimResult>> {
    const results = new Map<string, ClaimResult>();
    if (request.keys.length === 0) return results;
    const out = await this.db.batch<RecordRow>([
      ...this.schemaIfNew(),
      ...this.sql.claim(request),
      this.sql.select(request.keys),
    ]);
    this.created.add(this.sql.table);
    for (const row of out[out.length - 1]?.results ?? []) results.set(row.key, claimOutcome(row, request.owner));
    for (const key of request.keys) {
      if (!results.has(key)) throw new Error(`d1Idempotency: claim of "${key}" left no record in ${this.sql.table}`);
    }
    return results;
  }

  async commitSpeculatively(request: ClaimRequest & { done: readonly DoneEntry[] }): Promise<boolean> {
    if (request.keys.length === 0) return true;
    try {
      await this.db.batch([
        ...this.schemaIfNew(),
        // Written COMPLETED straight away: this transaction either commits the statements with it or nothing.
        ...this.sql.claim(request, "COMPLETED"),
        this.sql.guardAll(request.keys, request.owner, "COMPLETED"),
        ...request.done.flatMap((d) => d.statements),
      ]);
      this.created.add(this.sql.table);
      return true;
    } catch {
      // A duplicate, a key in flight, or a failing statement: the transaction rolled back; take the slow path.
      return false;
    }
  }

  async settle(request: SettleRequest): Promise<Map<string, SettleResult>> {
    const { done, failed, owner, now, ttlMs } = request;
    const results = new Map<string, SettleResult>();
    if (done.length === 0 && failed.length === 0) return results;
    const doneKeys = done.map((d) => d.key);
    const commit =
      doneKeys.length > 0
        ? [
            this.sql.guardAll(doneKeys, owner),
            ...done.flatMap((d) => d.statements),
            this.sql.complete(doneKeys, owner, now, ttlMs),
          ]
        : [];
    try {
      await this.db.batch([...commit, ...(failed.length > 0 ? [this.sql.release(failed, owner)] : [])]);
      for (const key of doneKeys) results.set(key, { ok: true });
      return results;
    } catch (err) {
      if (doneKeys.length === 0) throw err;
    }
    return this.settleOneByOne(request);
  }

  /**
   * Rare path: a lost lease or a failing statement aborted the batch. Commit message by message so one bad message
   * does not hold back the others; the guard still makes each commit all-or-nothing.
   */
  private async settleOneByOne(request: SettleRequest): Promise<Map<string, SettleResult>> {
    const results = new Map<string, SettleResult>();
    const singles = await Promise.all(request.done.map((entry) => this.commitOne(entry, request)));
    const release = [...request.failed];
    request.done.forEach((entry, i) => {
      const result = singles[i] ?? { ok: false, reason: "side_effect_failed", message: "no result" };
      results.set(entry.key, result);
      if (!result.ok && result.reason === "side_effect_failed") release.push(entry.key);
    });
    if (release.length > 0) await this.db.batch([this.sql.release(release, request.owner)]);
    return results;
  }

  private async commitOne(entry: DoneEntry, { owner, now, ttlMs }: SettleRequest): Promise<SettleResult> {
    try {
      await this.db.batch([
        this.sql.guardAll([entry.key], owner),
        ...entry.statements,
        this.sql.complete([entry.key], owner, now, ttlMs),
      ]);
      return { ok: true };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (message.includes(LEASE_LOST)) {
        return { ok: false, reason: "lease_lost", message: "the claim's lease passed to another worker" };
      }
      return { ok: false, reason: "side_effect_failed", message };
    }
  }

  async inspect(key: string, now: number): Promise<(IdempotencyRecord & { state: RecordState }) | null> {
    if (!this.created.has(this.sql.table)) {
      await this.db.batch(this.sql.schema());
      this.created.add(this.sql.table);
    }
    const row = await this.db
      .prepare(`SELECT key, status, owner, lease_until, expires_at FROM ${this.sql.table} WHERE key = ?`)
      .bind(key)
      .first<RecordRow>();
    if (row === null) return null;
    const record = recordOf(row);
    return { ...record, state: stateOf(record, now) };
  }
}

/**
 * Strong idempotency in D1, exactly-once for D1 side effects. A whole batch costs two round trips: one `batch()` to
 * claim every key (a single multi-row upsert over `json_each`), one to commit every handler's statements together
 * with COMPLETED and delete failed claims. A guard statement first in the commit aborts the transaction when any
 * claim was taken over, so a worker whose lease ran out cannot commit side effects twice.
 *
 * @example
 * const idempotency = d1Idempotency(env.DB);
 * await consume(batch, async (order) => [env.DB.prepare("UPDATE orders SET status = 'paid' WHERE id = ?").bind(order.id)], { idempotency });
 */
export function d1Idempotency(
  db: D1Database,
  { table = "blastwall_idempotency", sweepLimit = 100 }: D1IdempotencyOptions = {},
): IdempotencyStore {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) {
    throw new Error(`d1Idempotency: table "${table}" must be a plain SQL identifier (letters, digits, underscore)`);
  }
  const created = createdTables.get(db) ?? new Set<string>();
  createdTables.set(db, created);
  return new D1IdempotencyStore(db, new D1Sql(db, table, sweepLimit), created);
}
