import type {
  ClaimRequest,
  ClaimResult,
  IdempotencyRecord,
  IdempotencyStore,
  SettleRequest,
  SettleResult,
} from "./types.js";
import { stateOf } from "./types.js";

export interface KvIdempotencyOptions {
  /** Key prefix of the records. Default `idem:`. */
  prefix?: string;
}

/** KV refuses an expirationTtl below 60 seconds. */
export const KV_MIN_TTL_MS = 60_000;

/**
 * Best-effort idempotency in KV. KV has no atomic claim (read, then write) and is eventually consistent across
 * locations (up to ~60 s), so two workers can both claim a key and process a duplicate. Use it where a repeat is
 * cheap; use the D1 or Durable Object store where it is not. TTLs below 60 s are raised to 60 s.
 *
 * @example
 * const idempotency = kvIdempotency(env.IDEMPOTENCY_KV, { prefix: "orders:" }); // consume(batch, handle, { idempotency })
 */
export function kvIdempotency(kv: KVNamespace, { prefix = "idem:" }: KvIdempotencyOptions = {}): IdempotencyStore {
  const read = async (key: string) => kv.get<IdempotencyRecord>(prefix + key, "json");
  const write = (record: IdempotencyRecord, now: number) =>
    kv.put(prefix + record.key, JSON.stringify(record), {
      expirationTtl: Math.max(60, Math.ceil((record.expiresAt - now) / 1000)),
    });
  const ttl = (ttlMs: number) => Math.max(ttlMs, KV_MIN_TTL_MS);

  return {
    kind: "kv",
    guarantee: "best-effort",
    commitsStatements: false,

    async claim({ keys, owner, now, leaseMs, ttlMs }: ClaimRequest) {
      const results = new Map<string, ClaimResult>();
      await Promise.all(
        keys.map(async (key) => {
          const record = await read(key);
          const state = record ? stateOf(record, now) : "EXPIRED";
          if (record && state === "COMPLETED") results.set(key, { outcome: "completed" });
          else if (record && state === "INPROGRESS")
            results.set(key, { outcome: "in_flight", leaseUntil: record.leaseUntil });
          else {
            await write(
              { key, status: "INPROGRESS", owner, leaseUntil: now + leaseMs, expiresAt: now + ttl(ttlMs) },
              now,
            );
            results.set(key, { outcome: "claimed" });
          }
        }),
      );
      return results;
    },

    async settle({ owner, now, ttlMs, done, failed }: SettleRequest) {
      const results = new Map<string, SettleResult>();
      await Promise.all([
        ...done.map(async ({ key }) => {
          await write({ key, status: "COMPLETED", owner, leaseUntil: now, expiresAt: now + ttl(ttlMs) }, now);
          results.set(key, { ok: true });
        }),
        ...failed.map(async (key) => {
          // Delete only our own claim; a worker that took over keeps its record.
          const record = await read(key);
          if (record?.owner === owner && record.status === "INPROGRESS") await kv.delete(prefix + key);
        }),
      ]);
      return results;
    },

    async inspect(key: string, now: number) {
      const record = await read(key);
      return record ? { ...record, state: stateOf(record, now) } : null;
    },
  };
}
