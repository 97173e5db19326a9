/** The properties workerd sets on errors from a Durable Object call. */
export interface DurableObjectErrorFlags {
  retryable?: boolean;
  overloaded?: boolean;
  /** Thrown after the call reached the object (its code, or its reset/limits). */
  remote?: boolean;
}

export interface RetryDurableOptions {
  /** Attempts in total, the first included. Default 3. */
  attempts?: number;
  /** Backoff base: attempt n waits a random time up to min(maxDelayMs, baseDelayMs × 2^(n-1)). Default 100 ms. */
  baseDelayMs?: number;
  /** Default 2,000 ms. */
  maxDelayMs?: number;
  /**
   * The runtime already retries calls that failed before reaching the object (up to five attempts). Leave true so
   * those are not retried again on top; set false only where no runtime retry happens (e.g. an older runtime).
   */
  runtimeRetries?: boolean;
  /** Injected for tests. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

function flags(error: unknown): DurableObjectErrorFlags {
  return typeof error === "object" && error !== null ? (error as DurableObjectErrorFlags) : {};
}

/**
 * Whether to retry a failed Durable Object call: never when `.overloaded` (retrying adds load to an object that
 * cannot keep up), only when `.retryable`, and, with `runtimeRetries`, only for errors that reached the object
 * (`.remote`), because the runtime has already retried the others.
 */
export function shouldRetryDurable(
  error: unknown,
  { runtimeRetries = true }: { runtimeRetries?: boolean } = {},
): boolean {
  const f = flags(error);
  if (f.overloaded === true) return false;
  if (f.retryable !== true) return false;
  return runtimeRetries ? f.remote === true : true;
}

const defaultSleep = (ms: number): Promise<void> => scheduler.wait(ms);

/**
 * Calls a Durable Object with bounded, jittered exponential backoff on the errors worth retrying
 * ({@link shouldRetryDurable}). A fresh stub is made for each attempt: a stub that threw may be broken. Only wrap
 * calls that are safe to repeat (idempotent), since a retried call may have run once already.
 *
 * @example
 * const lines = await retryDurable(() => env.CARTS.get(env.CARTS.idFromName(user)), (cart) => cart.lines());
 */
export async function retryDurable<S, R>(
  getStub: () => S,
  call: (stub: S, attempt: number) => Promise<R>,
  {
    attempts = 3,
    baseDelayMs = 100,
    maxDelayMs = 2000,
    runtimeRetries = true,
    sleep = defaultSleep,
    random = Math.random,
  }: RetryDurableOptions = {},
): Promise<R> {
  if (!Number.isInteger(attempts) || attempts < 1)
    throw new RangeError(`attempts ${attempts} must be a positive integer`);
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(getStub(), attempt);
    } catch (error) {
      if (attempt >= attempts || !shouldRetryDurable(error, { runtimeRetries })) throw error;
      await sleep(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
    }
  }
}
