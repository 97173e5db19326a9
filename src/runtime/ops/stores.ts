import type { FlagStore, StoreRead } from "./flags.js";
import type {
  AuditEntry,
  AuditQuery,
  BlastwallOpsFlags,
  FlagChange,
  FlagRecord,
  SetFlagInput,
} from "./flags-object.js";
import { type Clock, type FlagMemo, isolateMemo, memoRead } from "./memo.js";
import { KV_PREFIX } from "./names.js";

export { KV_PREFIX };

/** KV's documented global propagation: a write can take about this long to be seen in every location. */
export const KV_PROPAGATION_MS = 60_000;

export interface DurableObjectStoreOptions {
  /** The object's name: one per deployment. Default "global". */
  name?: string;
  /** How long an isolate reuses an answer; a flip is seen everywhere within this bound. Default 1000. */
  maxStalenessMs?: number;
  /** A round trip slower than this counts as unreachable. Default 1000. */
  timeoutMs?: number;
  clock?: Clock;
  /** Default: this isolate's memo for the namespace binding. */
  memo?: FlagMemo;
}

/** The Durable Object store: reads for the reader, plus writes and the audit log for the admin API. */
export interface DurableObjectFlagStore extends FlagStore {
  readonly kind: "durable-object";
  readonly name: string;
  list(): Promise<FlagRecord[]>;
  /** Writes through the object and forgets this isolate's memo, so this isolate sees the change at once. */
  set(input: SetFlagInput): Promise<FlagChange>;
  audit(query?: AuditQuery): Promise<AuditEntry[]>;
}

/**
 * Flags in the `BlastwallOpsFlags` Durable Object: strongly consistent, seen everywhere within `maxStalenessMs`.
 * One round trip per isolate per `maxStalenessMs` fetches every flag at once.
 *
 * @example
 * const store = durableObjectStore(env.OPS_FLAGS); // object "global", maxStalenessMs 1000
 */
export function durableObjectStore(
  namespace: DurableObjectNamespace<BlastwallOpsFlags>,
  { name = "global", maxStalenessMs = 1000, timeoutMs = 1000, clock = Date.now, memo }: DurableObjectStoreOptions = {},
): DurableObjectFlagStore {
  if (!(maxStalenessMs >= 0)) throw new RangeError("blastwall durableObjectStore: maxStalenessMs must be ≥ 0");
  const cache = memo ?? isolateMemo(namespace);
  // A fresh stub per round trip: stubs belong to the request that made them, the memo outlives it.
  const stub = () => namespace.get(namespace.idFromName(name));
  const key = `do:${name}`;
  return {
    kind: "durable-object",
    name,
    stalenessMs: maxStalenessMs,
    async read(flag: string): Promise<StoreRead> {
      const { value, cached } = await memoRead(
        cache,
        key,
        async () => (await stub().snapshot()) as Record<string, string>,
        {
          ttlMs: maxStalenessMs,
          clock,
          timeoutMs,
        },
      );
      return { value: Object.hasOwn(value, flag) ? (value[flag] ?? null) : null, cached };
    },
    list: async () => (await stub().list()) as FlagRecord[],
    async set(input) {
      const change = (await stub().set(input)) as FlagChange;
      cache.entries.delete(key);
      return change;
    },
    audit: async (query) => (await stub().audit(query ?? {})) as AuditEntry[],
  };
}

export interface KvStoreOptions {
  /** Default `ops:`. */
  prefix?: string;
  /** How long an isolate reuses an answer, on top of KV's own propagation. Default 1000. */
  memoMs?: number;
  /** Passed to KV `get` as `cacheTtl` (seconds) when set; it adds to the staleness. */
  cacheTtlSeconds?: number;
  /** A KV read slower than this counts as unreachable. Default 1000. */
  timeoutMs?: number;
  clock?: Clock;
  memo?: FlagMemo;
}

export interface KvFlagStore extends FlagStore {
  readonly kind: "kv";
  /** Writes `ops:<name>` with the actor and time as metadata (how the admin API mirrors a change). */
  write(name: string, value: string, meta: { actor: string; updatedAt: string }): Promise<void>;
}

/**
 * Flags in KV under `ops:<name>`: cheap to read anywhere, including Workers that cannot bind the Durable Object
 * (a queue consumer), but eventually consistent: staleness is KV propagation (~60 s) plus the memo.
 *
 * @example
 * const store = kvStore(env.CONFIG); // reads ops:disable_writes, ops:pause_consumer:order-events, ...
 */
export function kvStore(
  kv: KVNamespace,
  { prefix = KV_PREFIX, memoMs = 1000, cacheTtlSeconds, timeoutMs = 1000, clock = Date.now, memo }: KvStoreOptions = {},
): KvFlagStore {
  const cache = memo ?? isolateMemo(kv);
  const propagation = Math.max(KV_PROPAGATION_MS, (cacheTtlSeconds ?? 0) * 1000);
  const getOptions = cacheTtlSeconds === undefined ? undefined : { cacheTtl: cacheTtlSeconds };
  return {
    kind: "kv",
    stalenessMs: propagation + memoMs,
    async read(flag: string): Promise<StoreRead> {
      const key = `${prefix}${flag}`;
      const { value, cached } = await memoRead(cache, `kv:${key}`, () => kv.get(key, getOptions), {
        ttlMs: memoMs,
        clock,
        timeoutMs,
      });
      return { value, cached };
    },
    async write(name, value, meta) {
      await kv.put(`${prefix}${name}`, value, { metadata: meta });
      cache.entries.delete(`kv:${prefix}${name}`);
    },
  };
}

export interface EnvStoreOptions {
  /** Default `OPS_`: flag `disable_writes` reads var `OPS_DISABLE_WRITES`. */
  prefix?: string;
}

/** The env var a flag maps to: `pause_consumer:order-events` → `OPS_PAUSE_CONSUMER_ORDER_EVENTS`. */
export function envVarName(flag: string, prefix = "OPS_"): string {
  return `${prefix}${flag.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/**
 * Flags from static vars: a fallback where no KV or Durable Object is bound, and a store for tests.
 * They change only with a deploy, so their staleness is unbounded.
 *
 * @example
 * const store = envStore(env); // "vars": { "OPS_DISABLE_WRITES": "1" }
 */
export function envStore(vars: object, { prefix = "OPS_" }: EnvStoreOptions = {}): FlagStore {
  const record = vars as Record<string, unknown>;
  return {
    kind: "env",
    stalenessMs: Number.POSITIVE_INFINITY,
    async read(flag: string): Promise<StoreRead> {
      const v = record[envVarName(flag, prefix)];
      return { value: typeof v === "string" ? v : null, cached: false };
    },
  };
}
