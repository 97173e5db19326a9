/**
 * The per-isolate memo behind the flag stores. One entry per key holds the last answer (or error) and when the
 * round trip that produced it started, so a value is never served longer than `ttlMs` after the store was asked.
 * Concurrent misses share one round trip, and errors are remembered for `ttlMs` too: a dead store gets at most one
 * call per key per `ttlMs` from each isolate instead of one per request.
 */

/** Milliseconds since the epoch; inject one in tests instead of sleeping. */
export type Clock = () => number;

interface Settled<T> {
  startedAt: number;
  ok: boolean;
  value?: T;
  error?: unknown;
}

interface Entry<T> {
  settled?: Settled<T>;
  pending?: Promise<T>;
}

/** A memo: one per isolate and binding by default; create your own to simulate several isolates in a test. */
export interface FlagMemo {
  /** Forgets every entry, so the next read goes to the store. */
  clear(): void;
  /** @internal */
  readonly entries: Map<string, Entry<unknown>>;
}

/**
 * Creates an empty memo.
 *
 * @example
 * // Two readers with their own memo behave like two isolates.
 * const a = durableObjectStore(env.OPS_FLAGS, { memo: createFlagMemo() });
 */
export function createFlagMemo(): FlagMemo {
  const entries = new Map<string, Entry<unknown>>();
  return { entries, clear: () => entries.clear() };
}

const shared = new WeakMap<object, FlagMemo>();

/** The memo this isolate keeps for `binding` (a KV namespace or Durable Object namespace). */
export function isolateMemo(binding: object): FlagMemo {
  let memo = shared.get(binding);
  if (!memo) {
    memo = createFlagMemo();
    shared.set(binding, memo);
  }
  return memo;
}

export class StoreTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "StoreTimeoutError";
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

export interface MemoReadOptions {
  ttlMs: number;
  clock: Clock;
  timeoutMs: number;
}

/**
 * Returns the memoised answer for `key`, or runs `load` (once for all concurrent callers) when it is missing or
 * older than `ttlMs`. Rejects with the remembered error while a failed load is fresh.
 */
export async function memoRead<T>(
  memo: FlagMemo,
  key: string,
  load: () => Promise<T>,
  { ttlMs, clock, timeoutMs }: MemoReadOptions,
): Promise<{ value: T; cached: boolean }> {
  const entries = memo.entries as Map<string, Entry<T>>;
  let entry = entries.get(key);
  const now = clock();
  const settled = entry?.settled;
  // A clock that went backwards (another test's clock, a skewed isolate) makes the entry stale, not fresh.
  if (settled && now >= settled.startedAt && now - settled.startedAt < ttlMs) {
    if (!settled.ok) throw settled.error;
    return { value: settled.value as T, cached: true };
  }
  const inFlight = entry?.pending;
  if (inFlight !== undefined) return { value: await inFlight, cached: false };
  if (!entry) {
    entry = {};
    entries.set(key, entry);
  }
  const own = entry;
  const startedAt = now;
  const pending = withTimeout(load(), timeoutMs).then(
    (value) => {
      own.settled = { startedAt, ok: true, value };
      own.pending = undefined;
      return value;
    },
    (error: unknown) => {
      own.settled = { startedAt, ok: false, error };
      own.pending = undefined;
      throw error;
    },
  );
  own.pending = pending;
  return { value: await pending, cached: false };
}
