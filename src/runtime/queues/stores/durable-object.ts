import { DurableObject } from "cloudflare:workers";
import type {
  ClaimRequest,
  ClaimResult,
  IdempotencyRecord,
  IdempotencyStore,
  RecordState,
  SettleRequest,
  SettleResult,
} from "./types.js";
import { fnv1a, type RecordRow, recordOf, stateOf } from "./types.js";

type Row = RecordRow & Record<string, SqlStorageValue>;

/** The settle() of one shard: only keys, as statements cannot cross into a Durable Object. */
export interface ShardSettleRequest {
  owner: string;
  now: number;
  ttlMs: number;
  done: string[];
  failed: string[];
}

/**
 * One shard of the Durable Object idempotency store. A Durable Object runs one request at a time, so a claim is
 * atomic without transactions. Export it from your Worker and bind it (a SQLite-backed class):
 *
 * @example
 * // worker.ts
 * export { IdempotencyShard } from "blastwall/queues";
 * // wrangler.jsonc
 * // "durable_objects": { "bindings": [{ "name": "IDEMPOTENCY", "class_name": "IdempotencyShard" }] },
 * // "migrations": [{ "tag": "v1", "new_sqlite_classes": ["IdempotencyShard"] }]
 */
export class IdempotencyShard extends DurableObject {
  #sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Cloudflare.Env) {
    super(ctx, env);
    this.#sql = ctx.storage.sql;
    this.#sql.exec(
      "CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, status TEXT NOT NULL, owner TEXT NOT NULL, lease_until INTEGER NOT NULL, expires_at INTEGER NOT NULL)",
    );
    this.#sql.exec("CREATE INDEX IF NOT EXISTS records_expires ON records (expires_at)");
  }

  claim(request: ClaimRequest): Record<string, ClaimResult> {
    const { keys, owner, now, leaseMs, ttlMs } = request;
    this.#sql.exec("DELETE FROM records WHERE key IN (SELECT key FROM records WHERE expires_at <= ? LIMIT 100)", now);
    const out: Record<string, ClaimResult> = {};
    for (const key of keys) {
      const row = this.#sql.exec<Row>("SELECT * FROM records WHERE key = ?", key).toArray()[0];
      const state = row ? stateOf(recordOf(row), now) : "EXPIRED";
      if (row && state === "COMPLETED") out[key] = { outcome: "completed" };
      else if (row && state === "INPROGRESS") out[key] = { outcome: "in_flight", leaseUntil: row.lease_until };
      else {
        this.#sql.exec(
          "INSERT OR REPLACE INTO records (key, status, owner, lease_until, expires_at) VALUES (?, 'INPROGRESS', ?, ?, ?)",
          key,
          owner,
          now + leaseMs,
          now + ttlMs,
        );
        out[key] = { outcome: "claimed" };
      }
    }
    return out;
  }

  settle(request: ShardSettleRequest): Record<string, SettleResult> {
    const { owner, now, ttlMs, done, failed } = request;
    const out: Record<string, SettleResult> = {};
    for (const key of done) {
      const changed = this.#sql.exec(
        "UPDATE records SET status = 'COMPLETED', lease_until = ?, expires_at = ? WHERE key = ? AND owner = ? AND status = 'INPROGRESS'",
        now,
        now + ttlMs,
        key,
        owner,
      ).rowsWritten;
      out[key] =
        changed > 0
          ? { ok: true }
          : { ok: false, reason: "lease_lost", message: "the claim's lease passed to another worker" };
    }
    for (const key of failed) {
      this.#sql.exec("DELETE FROM records WHERE key = ? AND owner = ? AND status = 'INPROGRESS'", key, owner);
    }
    return out;
  }

  inspect(key: string): IdempotencyRecord | null {
    const row = this.#sql.exec<Row>("SELECT * FROM records WHERE key = ?", key).toArray()[0];
    return row ? recordOf(row) : null;
  }
}

export interface DurableObjectIdempotencyOptions {
  /**
   * Number of shards keys are spread over by hash. Default 16. Changing it moves keys to other shards: records
   * written before the change are not seen after it, so change it only while the queue is drained.
   */
  shards?: number;
  /** Prefix of each shard's name (`<prefix>:<n>`). Default `blastwall-idempotency`. */
  prefix?: string;
}

/**
 * Strong idempotency in Durable Objects, sharded by key hash: one RPC per shard touched per step, in parallel.
 * D1 side effects cannot join a Durable Object's transaction, so consume() commits them before COMPLETED: a crash
 * between the two repeats them (at-least-once). Only duplicate deliveries are filtered exactly.
 *
 * @example
 * const idempotency = durableObjectIdempotency(env.IDEMPOTENCY, { shards: 32 }); // consume(batch, handle, { idempotency, sideEffects: env.DB })
 */
export function durableObjectIdempotency(
  namespace: DurableObjectNamespace<IdempotencyShard>,
  { shards = 16, prefix = "blastwall-idempotency" }: DurableObjectIdempotencyOptions = {},
): IdempotencyStore {
  if (!Number.isInteger(shards) || shards < 1 || shards > 1024) {
    throw new RangeError(`durableObjectIdempotency: shards must be an integer from 1 to 1024 (got ${shards})`);
  }
  const shardOf = (key: string) => fnv1a(key) % shards;
  const stub = (shard: number) => namespace.get(namespace.idFromName(`${prefix}:${shard}`));
  const group = (keys: readonly string[]) => {
    const groups = new Map<number, string[]>();
    for (const key of keys) {
      const shard = shardOf(key);
      const list = groups.get(shard) ?? [];
      list.push(key);
      groups.set(shard, list);
    }
    return groups;
  };

  return {
    kind: "durable-object",
    guarantee: "strong",
    commitsStatements: false,

    async claim(request: ClaimRequest) {
      const results = new Map<string, ClaimResult>();
      await Promise.all(
        [...group(request.keys)].map(async ([shard, keys]) => {
          const out = await stub(shard).claim({ ...request, keys });
          for (const [key, result] of Object.entries(out)) results.set(key, result as ClaimResult);
        }),
      );
      return results;
    },

    async settle(request: SettleRequest) {
      const results = new Map<string, SettleResult>();
      const done = group(request.done.map((d) => d.key));
      const failed = group(request.failed);
      const touched = new Set([...done.keys(), ...failed.keys()]);
      await Promise.all(
        [...touched].map(async (shard) => {
          const out = await stub(shard).settle({
            owner: request.owner,
            now: request.now,
            ttlMs: request.ttlMs,
            done: done.get(shard) ?? [],
            failed: failed.get(shard) ?? [],
          });
          for (const [key, result] of Object.entries(out)) results.set(key, result as SettleResult);
        }),
      );
      return results;
    },

    async inspect(key: string, now: number) {
      const record = (await stub(shardOf(key)).inspect(key)) as IdempotencyRecord | null;
      if (record === null) return null;
      const state: RecordState = stateOf(record, now);
      return { ...record, state };
    },
  };
}
