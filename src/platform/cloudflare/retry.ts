/**
 * Retries that outlast Cloudflare's rate-limit lock-out. The API allows 1,200 requests per 5 minutes per user;
 * past that, every call is answered 429 for the next 5 minutes, the rollback included. So a call keeps trying,
 * with exponential backoff (or the `Retry-After` the API sends), for longer than one lock-out.
 */

/** Time, injectable so tests can run a 5-minute 429 storm without waiting 5 minutes. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export interface RetryPolicyOptions {
  /** Give up once this much time has passed since the first attempt. Default 7 minutes (> one 5-minute lock-out). */
  budgetMs?: number;
  /** First backoff; doubles each attempt. */
  baseMs?: number;
  /** Longest single wait. */
  capMs?: number;
}

export interface RetryPolicy {
  readonly budgetMs: number;
  /** The wait before attempt `attempt + 1` (attempt counts from 1), honouring a server's `Retry-After` seconds. */
  delayMs(attempt: number, retryAfterSeconds?: number): number;
}

/**
 * @example
 * const policy = createRetryPolicy({ budgetMs: 420_000 });
 * policy.delayMs(3); // 4000
 */
export function createRetryPolicy({
  budgetMs = 7 * 60_000,
  baseMs = 1_000,
  capMs = 60_000,
}: RetryPolicyOptions = {}): RetryPolicy {
  return {
    budgetMs,
    delayMs(attempt, retryAfterSeconds) {
      if (retryAfterSeconds !== undefined && Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0) {
        return Math.min(capMs * 5, retryAfterSeconds * 1000);
      }
      return Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
    },
  };
}

/** `Retry-After` as seconds: a number, or an HTTP date (RFC 9110). */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const n = Number(value.trim());
  if (Number.isFinite(n)) return Math.max(0, n);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** What one failed attempt tells the retry loop. */
export interface AttemptFailure {
  retryable: boolean;
  retryAfterSeconds?: number;
}

export interface WithRetriesOptions {
  policy: RetryPolicy;
  clock: Clock;
  /** Classifies an error thrown by one attempt. */
  classify(err: unknown): AttemptFailure;
}

/**
 * Runs `attempt` until it succeeds, a failure is not retryable, or the time budget is spent (then the last error).
 *
 * @example
 * await withRetries(() => api.get(path), { policy, clock: realClock, classify: (e) => ({ retryable: true }) });
 */
export async function withRetries<T>(attempt: () => Promise<T>, { policy, clock, classify }: WithRetriesOptions) {
  const started = clock.now();
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const { retryable, retryAfterSeconds } = classify(err);
      const wait = policy.delayMs(n, retryAfterSeconds);
      if (!retryable || clock.now() + wait - started > policy.budgetMs) throw err;
      await clock.sleep(wait);
    }
  }
}
