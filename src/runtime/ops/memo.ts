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

/**
 * Waits for `promise` at most `ms`, with a timer made by the caller. Each caller needs its own: a shared round trip
 * started by another request can be cancelled with that request, and its timers with it.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: (err: StoreTimeoutError) => void): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new StoreTimeoutError(ms);
      onTimeout(err);
      reject(err);
    }, ms);
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
  const entry = entries.get(key);
  const now = clock();
  const settled = entry?.settled;
  // A clock that went backwards (another test's clock, a skewed isolate) makes the entry stale, not fresh.
  if (settled && now >= settled.startedAt && now - settled.startedAt < ttlMs) {
    if (!settled.ok) throw settled.error;
    return { value: settled.value as T, cached: true };
  }
  const inFlight = entry?.pending;
  const own = entry ?? {};
  if (!entry) entries.set(key, own);
  const settle = (startedAt: number, result: Settled<T>, pending: Promise<T>) => {
    if (own.pending === pending) own.pending = undefined;
    // A late answer must not replace a newer one.
    if (!own.settled || own.settled.startedAt <= startedAt) own.settled = result;
  };
  let pending = inFlight;
  if (pending === undefined) {
    const startedAt = now;
    const started: Promise<T> = load().then(
      (value) => {
        settle(startedAt, { startedAt, ok: true, value }, started);
        return value;
      },
      (error: unknown) => {
        settle(startedAt, { startedAt, ok: false, error }, started);
        throw error;
      },
    );
    own.pending = started;
    pending = started;
  }
  const shared = pending;
  const value = await withTimeout(shared, timeoutMs, (error) => {
    // Give up on a round trip that never answers, so the next read starts a fresh one.
    if (own.pending === shared) settle(now, { startedAt: now, ok: false, error }, shared);
  });
  return { value, cached: false };
}
