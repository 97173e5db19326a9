/** How long a failed message waits before the next attempt. */
export interface BackoffOptions {
  /** Delay of the first retry, in seconds. Default 2. */
  baseSeconds?: number;
  /** Ceiling for any delay, in seconds. Default 300; Queues accept at most 43,200 (12 h). */
  capSeconds?: number;
}

/** Queues refuse a message delay above 12 hours. */
export const MAX_DELAY_SECONDS = 43_200;

/**
 * Exponential backoff with "equal jitter": half the exponential delay is fixed, half is random, so retries of a
 * batch that failed together spread out instead of failing together again. Whole seconds, as Queues require.
 *
 * @example
 * backoffSeconds(3, { baseSeconds: 2, capSeconds: 60 }); // between 4 and 8
 */
export function backoffSeconds(
  attempts: number,
  { baseSeconds = 2, capSeconds = 300 }: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  if (!(baseSeconds >= 0) || !(capSeconds >= 0)) {
    throw new RangeError(`backoff: baseSeconds and capSeconds must be >= 0 (got ${baseSeconds}, ${capSeconds})`);
  }
  const cap = Math.min(capSeconds, MAX_DELAY_SECONDS);
  const exponent = Math.max(0, Math.floor(attempts) - 1);
  const full = Math.min(cap, baseSeconds * 2 ** Math.min(exponent, 30));
  const jittered = full / 2 + random() * (full / 2);
  return Math.min(cap, Math.ceil(jittered));
}
