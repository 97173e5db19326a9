/**
 * Over-dispersion, estimated from the stable version's own pre-release windows at the poll scale. Real error
 * and slow-request counts vary more than a binomial allows: rates drift minute to minute, and errors come in
 * clumps (one client retrying). Both widen the spread of the canary's share, so the tests temper each
 * window's likelihood ratio by the variance inflation this estimate gives, fixed before the ramp begins.
 */

/** One pre-release window of the stable version: `hits` (errors, or requests slower than a bound) of `trials`. */
export interface DispersionWindow {
  trials: number;
  hits: number;
}

export interface Dispersion {
  /** Variance ÷ binomial variance of the hits per window (≥ 1): clumping, e.g. retries counted per request. */
  fano: number;
  /** Squared coefficient of variation of the rate between windows beyond the binomial noise (≥ 0). */
  cv2: number;
  /** Windows the estimate rests on. */
  windows: number;
  /** When the excess is significant: the window with the most hits, so a report can show the burst it rests on. */
  peak?: DispersionWindow;
}

export const NO_DISPERSION: Dispersion = { fano: 1, cv2: 0, windows: 0 };

/**
 * Moment estimates over the windows when Pearson's χ² shows excess variance, inflated to a one-sided 90 % upper
 * bound for the number of windows, so a short pre-release read errs towards more dispersion (fewer false
 * rollbacks, a little less power).
 *
 * @example
 * estimateDispersion([{ trials: 1000, hits: 5 }, { trials: 980, hits: 12 }, { trials: 1010, hits: 3 }]);
 */
export function estimateDispersion(windows: readonly DispersionWindow[]): Dispersion {
  const used = windows.filter((w) => w.trials > 0);
  const n = used.length;
  if (n < 5) return NO_DISPERSION;
  const trials = used.reduce((s, w) => s + w.trials, 0);
  const hits = used.reduce((s, w) => s + w.hits, 0);
  const p = hits / trials;
  if (p <= 0 || p >= 1) return { ...NO_DISPERSION, windows: n };
  // Pearson's statistic: Σ (x − n p)² / (n p (1 − p)) ~ χ²(n − 1) without dispersion.
  let pearson = 0;
  let excess = 0;
  for (const w of used) {
    const e = w.trials * p;
    const d = (w.hits - e) ** 2;
    pearson += d / (e * (1 - p));
    excess += (d - e * (1 - p)) / (e * e);
  }
  // Without significant excess (χ² test at 10 %) the moments are noise, most of all with few events per window.
  if (pearson <= chiSquareQuantile(n - 1, 1.2816)) return { ...NO_DISPERSION, windows: n };
  const upper = (n - 1) / chiSquareQuantile(n - 1, -1.2816);
  const fano = Math.max(1, (pearson / (n - 1)) * upper);
  const cv2 = Math.max(0, (excess / n) * upper);
  const peak = used.reduce((a, w) => (w.hits > a.hits ? w : a));
  return { fano, cv2, windows: n, peak: { trials: peak.trials, hits: peak.hits } };
}

/** The χ²(df) quantile at normal score z (Wilson-Hilferty): z = ±1.2816 gives the 90 % and 10 % points. */
function chiSquareQuantile(df: number, z: number): number {
  const c = 2 / (9 * df);
  return df * Math.max(0.05, 1 - c + z * Math.sqrt(c)) ** 3;
}

/**
 * The variance inflation φ ≥ 1 of one window's share test: the canary's share π0 of `trials` pooled events
 * (canary plus stable). Clumps inflate the variance by the Fano factor; a rate that drifts independently on each
 * version with CV² moves the share's logit by 2·CV², which adds trials·π0(1−π0)·2·CV². The larger reading wins.
 */
export function inflationFor(d: Dispersion, trials: number, p0: number): number {
  const drift = 1 + 2 * d.cv2 * trials * p0 * (1 - p0);
  return Math.max(1, d.fano, drift);
}

/**
 * A burst estimate raised to a known bound on burst size: for bursts of at most `maxBurst` events on one version,
 * E[k²]/E[k] ≤ maxBurst, so tempering by it holds even when the windows read before the ramp showed no burst.
 *
 * @example
 * atLeastBursts(NO_DISPERSION, 10).fano; // 10: a queue batch of 10 can be dead-lettered at once
 */
export function atLeastBursts(d: Dispersion, maxBurst: number): Dispersion {
  return { ...d, fano: Math.max(d.fano, maxBurst) };
}

/**
 * The Fano factor (variance ÷ mean) of a version's request counts per poll window, for the sample-ratio test.
 * With version affinity a client's requests go to one version together, so the canary's share of requests
 * varies more than a binomial, by E[k²]/E[k] for clusters of k requests: the Fano factor of the counts
 * themselves when clusters arrive at random. It is read from successive differences, so a slow trend in traffic
 * is not taken for clustering; bursts and fast drift still raise it, which only makes the test more cautious.
 * Without significant excess (10 %) it is 1; otherwise a one-sided 90 % upper bound.
 *
 * @example
 * estimateCountDispersion([480, 530, 495, 610, 420, 505]).fano; // 1 unless the spread exceeds Poisson's
 */
export function estimateCountDispersion(counts: readonly number[]): Dispersion {
  const n = counts.length;
  const mean = counts.reduce((s, c) => s + c, 0) / Math.max(1, n);
  if (n < 6 || mean <= 0) return { ...NO_DISPERSION, windows: n };
  let squares = 0;
  for (let i = 1; i < n; i++) squares += ((counts[i] ?? 0) - (counts[i - 1] ?? 0)) ** 2;
  // Σ(Δx)²/(2·mean) ≈ χ² on about 2(n−1)/3 degrees of freedom scaled by (n−1)/df, for Poisson counts.
  const df = (2 * (n - 1)) / 3;
  const statistic = (squares / (2 * mean)) * (df / (n - 1));
  if (statistic <= chiSquareQuantile(df, 1.2816)) return { ...NO_DISPERSION, windows: n };
  const fano = Math.max(1, statistic / chiSquareQuantile(df, -1.2816));
  return { fano, cv2: 0, windows: n };
}
