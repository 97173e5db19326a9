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
import { stateOf } from "./types.js";

export interface D1IdempotencyOptions {
  /** Table for the records; created on first use together with `<table>_guard`. Default `blastwall_idempotency`. */
  table?: string;
  /** Expired records deleted per claim, so the table stays bounded without a cron. Default 100. */
  sweepLimit?: number;
}

interface Row {
  key: string;
  status: IdempotencyRecord["status"];
  owner: string;
  lease_until: number;
  expires_at: number;
}

const LEASE_LOST = "lease_lost";

// Tables already created, per database binding and table, so a warm isolate skips the CREATE statements.
const createdTables = new WeakMap<D1Database, Set<string>>();

/**
 * Strong idempotency in D1, exactly-once for D1 side effects. A whole batch costs two round trips: one `batch()` to
 * claim every key (a single multi-row upsert over `json_each`), one to commit every handler's statements together
 * with COMPLETED and delete failed claims. A guard statement first in the commit aborts the transaction when any
 * claim was taken over, so a worker whose lease ran out cannot commit side effects twice.
 *
 * @example
 * const store = d1Idempotency(env.DB);
 * await consume(batch, async (order) => [env.DB.prepare("UPDATE orders SET status = 'paid' WHERE id = ?").bind(order.id)], { store });
 */
export function d1Idempotency(
  db: D1Database,
  { table = "blastwall_idempotency", sweepLimit = 100 }: D1IdempotencyOptions = {},
): IdempotencyStore {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) {
    throw new Error(`d1Idempotency: table "${table}" must be a plain SQL identifier (letters, digits, underscore)`);
  }
  const guard = `${table}_guard`;
  const created = createdTables.get(db) ?? new Set<string>();
  createdTables.set(db, created);
  const schema = () => [
    db.prepare(
      `CREATE TABLE IF NOT EXISTS ${table} (key TEXT NOT NULL PRIMARY KEY, status TEXT NOT NULL CHECK (status IN ('INPROGRESS', 'COMPLETED')), owner TEXT NOT NULL, lease_until INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID`,
    ),
    db.prepare(`CREATE INDEX IF NOT EXISTS ${table}_expires ON ${table} (expires_at)`),
    // Never holds a row: inserting 1 here is how a commit aborts itself when a claim is no longer ours.
    db.prepare(
      `CREATE TABLE IF NOT EXISTS ${guard} (${LEASE_LOST} INTEGER CONSTRAINT ${LEASE_LOST} CHECK (${LEASE_LOST} = 0))`,
    ),
  ];

  // Aborts the whole batch() unless every key is still INPROGRESS under this owner.
  const guardStatement = (keys: readonly string[], owner: string, status: RecordStatus = "INPROGRESS") =>
    db
      .prepare(
        `INSERT INTO ${guard} (${LEASE_LOST}) SELECT 1 WHERE (SELECT count(*) FROM ${table} WHERE key IN (SELECT value FROM json_each(?1)) AND owner = ?2 AND status = ?3) <> json_array_length(?1)`,
      )
      .bind(JSON.stringify(keys), owner, status);
  const completeStatement = (keys: readonly string[], owner: string, now: number, ttlMs: number) =>
    db
      .prepare(
        `UPDATE ${table} SET status = 'COMPLETED', lease_until = ?3, expires_at = ?4 WHERE key IN (SELECT value FROM json_each(?1)) AND owner = ?2`,
      )
      .bind(JSON.stringify(keys), owner, now, now + ttlMs);
  const releaseStatement = (keys: readonly string[], owner: string) =>
    db
      .prepare(
        `DELETE FROM ${table} WHERE key IN (SELECT value FROM json_each(?1)) AND owner = ?2 AND status = 'INPROGRESS'`,
      )
      .bind(JSON.stringify(keys), owner);

  // Creates the tables on first use, sweeps expired records, and claims every key that is free, expired, or whose
  // lease ran out, in one multi-row statement.
  const claimStatements = (
    keys: readonly string[],
    owner: string,
    now: number,
    leaseMs: number,
    ttlMs: number,
    status: RecordStatus = "INPROGRESS",
  ) => {
    const list = JSON.stringify(keys);
    return [
      ...(created.has(table) ? [] : schema()),
      db
        .prepare(
          `DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} WHERE expires_at <= ?1 LIMIT ?2) AND key NOT IN (SELECT value FROM json_each(?3))`,
        )
        .bind(now, sweepLimit, list),
      db
        .prepare(
          `INSERT INTO ${table} (key, status, owner, lease_until, expires_at) SELECT value, ?6, ?2, ?3, ?4 FROM json_each(?1) WHERE true ON CONFLICT (key) DO UPDATE SET status = excluded.status, owner = excluded.owner, lease_until = excluded.lease_until, expires_at = excluded.expires_at WHERE ${table}.expires_at <= ?5 OR (${table}.status = 'INPROGRESS' AND ${table}.lease_until <= ?5)`,
        )
        .bind(list, owner, now + leaseMs, now + ttlMs, now, status),
    ];
  };

  async function commitOne(entry: DoneEntry, request: SettleRequest): Promise<SettleResult> {
    try {
      await db.batch([
        guardStatement([entry.key], request.owner),
        ...entry.statements,
        completeStatement([entry.key], request.owner, request.now, request.ttlMs),
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

  return {
    kind: "d1",
    guarantee: "strong",
    commitsStatements: true,

    async claim({ keys, owner, now, leaseMs, ttlMs }: ClaimRequest) {
      const results = new Map<string, ClaimResult>();
      if (keys.length === 0) return results;
      const list = JSON.stringify(keys);
      const statements = [
        ...claimStatements(keys, owner, now, leaseMs, ttlMs),
        db
          .prepare(
            `SELECT key, status, owner, lease_until, expires_at FROM ${table} WHERE key IN (SELECT value FROM json_each(?1))`,
          )
          .bind(list),
      ];
      const out = await db.batch<Row>(statements);
      created.add(table);
      const rows = out[out.length - 1]?.results ?? [];
      for (const row of rows) {
        if (row.owner === owner && row.status === "INPROGRESS") results.set(row.key, { outcome: "claimed" });
        else if (row.status === "COMPLETED") results.set(row.key, { outcome: "completed" });
        else results.set(row.key, { outcome: "in_flight", leaseUntil: row.lease_until });
      }
      for (const key of keys) {
        if (!results.has(key)) throw new Error(`d1Idempotency: claim of "${key}" left no record in ${table}`);
      }
      return results;
    },

    async commitSpeculatively({ keys, owner, now, leaseMs, ttlMs, done }) {
      if (keys.length === 0) return true;
      try {
        await db.batch([
          // Written COMPLETED straight away: this transaction either commits the statements with it or nothing.
          ...claimStatements(keys, owner, now, leaseMs, ttlMs, "COMPLETED"),
          guardStatement(keys, owner, "COMPLETED"),
          ...done.flatMap((d) => d.statements),
        ]);
        created.add(table);
        return true;
      } catch {
        // A duplicate, a key in flight, or a failing statement: the transaction rolled back; take the slow path.
        return false;
      }
    },

    async settle(request: SettleRequest) {
      const results = new Map<string, SettleResult>();
      const { done, failed, owner, now, ttlMs } = request;
      if (done.length === 0 && failed.length === 0) return results;
      const doneKeys = done.map((d) => d.key);
      try {
        await db.batch([
          ...(doneKeys.length > 0
            ? [
                guardStatement(doneKeys, owner),
                ...done.flatMap((d) => d.statements),
                completeStatement(doneKeys, owner, now, ttlMs),
              ]
            : []),
          ...(failed.length > 0 ? [releaseStatement(failed, owner)] : []),
        ]);
        for (const key of doneKeys) results.set(key, { ok: true });
        return results;
      } catch (err) {
        if (doneKeys.length === 0) throw err;
      }
      // Rare path: a lost lease or a failing statement aborted the batch. Commit message by message so one bad
      // message does not hold back the others; the guard still makes each commit all-or-nothing.
      const singles = await Promise.all(done.map((entry) => commitOne(entry, request)));
      const release = [...failed];
      done.forEach((entry, i) => {
        const result = singles[i] ?? { ok: false, reason: "side_effect_failed", message: "no result" };
        results.set(entry.key, result);
        if (!result.ok && result.reason === "side_effect_failed") release.push(entry.key);
      });
      if (release.length > 0) await db.batch([releaseStatement(release, owner)]);
      return results;
    },

    async inspect(key: string, now: number) {
      if (!created.has(table)) {
        await db.batch(schema());
        created.add(table);
      }
      const row = await db
        .prepare(`SELECT key, status, owner, lease_until, expires_at FROM ${table} WHERE key = ?`)
        .bind(key)
        .first<Row>();
      if (row === null) return null;
      const record: IdempotencyRecord = {
        key: row.key,
        status: row.status,
        owner: row.owner,
        leaseUntil: row.lease_until,
        expiresAt: row.expires_at,
      };
      const state: RecordState = stateOf(record, now);
      return { ...record, state };
    },
  };
}
