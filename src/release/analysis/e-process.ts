/**
 * Anytime-valid e-processes for counts (Lindon et al., KDD 2022; NeurIPS 2022). Each one is a mixture, over a
 * fixed grid of alternatives, of likelihood ratios that are nonnegative supermartingales under every null it
 * covers, so by Ville's inequality P(sup_t e_t ≥ 1/α) ≤ α: it can be checked at every poll. Pure and
 * deterministic; all arithmetic is in log space so long releases cannot overflow.
 */

/**
 * Multipliers of the null odds (or rate) that the mixture bets on, weighted equally. Only alternatives *worse*
 * than the null are in the grid: that keeps every component a supermartingale under the composite null
 * "canary no worse than the null", not just under its boundary.
 */
export const DEFAULT_GRID: readonly number[] = denseGrid(1.01, 25, 24);

/**
 * `count` multipliers spaced evenly in log from `from` to `to`: a dense mixture, so the e-process grows at close
 * to the best rate for any effect in the range (the price is log(count) nats, paid once).
 *
 * @example
 * denseGrid(1.01, 25, 24); // [1.01, 1.15, …, 25]
 */
export function denseGrid(from: number, to: number, count: number): number[] {
  const step = Math.log(to / from) / Math.max(1, count - 1);
  return Array.from({ length: count }, (_, i) => from * Math.exp(step * i));
}

/** The running log likelihood ratio of each grid component. */
export interface EProcessState {
  readonly grid: readonly number[];
  readonly logLr: readonly number[];
}

export interface EProcessOptions {
  grid?: readonly number[];
}

/**
 * Starts an e-process at e = 1.
 *
 * @example
 * let s = createEProcess();
 * s = updateBernoulli(s, { hits: 41, trials: 59, nullOdds: 1000 / 9000 });
 * eValue(s); // ≫ 100
 */
export function createEProcess({ grid = DEFAULT_GRID }: EProcessOptions = {}): EProcessState {
  for (const r of grid) {
    if (!(r > 1) || !Number.isFinite(r)) throw new RangeError(`grid multipliers must be finite and > 1, got ${r}`);
  }
  return { grid: [...grid], logLr: grid.map(() => 0) };
}

export interface BernoulliBatch {
  /** Events that went the "bad" way (canary errors among all errors; slow requests among requests). */
  hits: number;
  /** All events in the batch. */
  trials: number;
  /** Odds p/(1-p) of a hit under the null boundary; the null is "odds ≤ nullOdds". */
  nullOdds: number;
}

/**
 * Folds one batch of Bernoulli events into the e-process. For a grid multiplier r the alternative odds are
 * r·nullOdds and the batch's log likelihood ratio is hits·log(p1/p0) + misses·log((1-p1)/(1-p0)). Under any null
 * p ≤ p0 its expectation is ≤ 1, so batches whose nullOdds differ (the split changes between ramp steps) chain into
 * one supermartingale.
 */
export function updateBernoulli(state: EProcessState, { hits, trials, nullOdds }: BernoulliBatch): EProcessState {
  if (trials <= 0 || !(nullOdds > 0) || !Number.isFinite(nullOdds)) return state;
  const h = Math.max(0, Math.min(hits, trials));
  const misses = trials - h;
  const p0 = nullOdds / (1 + nullOdds);
  const logLr = state.grid.map((r, i) => {
    const odds1 = r * nullOdds;
    const p1 = odds1 / (1 + odds1);
    const step = h * Math.log(p1 / p0) + misses * (Math.log1p(-p1) - Math.log1p(-p0));
    return (state.logLr[i] ?? 0) + step;
  });
  return { grid: state.grid, logLr };
}

export interface ShareBatch extends BernoulliBatch {
  /**
   * Variance of the hits ÷ the binomial variance (≥ 1), fixed before the batch is seen. The batch's log
   * likelihood ratio is divided by it: a tempered likelihood ratio.
   */
  inflation?: number;
}

/**
 * Folds one batch in with its likelihood ratio raised to 1/φ, φ the batch's variance inflation. For hits that
 * come in clumps of size φ this is the exact binomial ratio on the clumps; for a share that drifts between
 * batches it keeps the factor's expectation ≤ 1 to second order (docs/release.md). Over-estimating φ is always
 * safe: if E[LR^λ] ≤ 1 then E[LR^λ'] ≤ 1 for every λ' < λ (Jensen).
 */
export function updateShare(state: EProcessState, { inflation = 1, ...batch }: ShareBatch): EProcessState {
  const weight = 1 / Math.max(1, inflation);
  if (weight === 1) return updateBernoulli(state, batch);
  const next = updateBernoulli({ grid: state.grid, logLr: state.grid.map(() => 0) }, batch);
  return { grid: state.grid, logLr: state.logLr.map((l, i) => l + weight * (next.logLr[i] ?? 0)) };
}

export interface PoissonBatch {
  events: number;
  /** The number of events the null expects in this batch (null rate × exposure). */
  expected: number;
}

/**
 * Folds one batch of Poisson counts in: for multiplier r, log LR = events·log r − (r − 1)·expected, a
 * supermartingale under any rate ≤ the null's. Used for signals without a per-version split (DLQ messages).
 */
export function updatePoisson(state: EProcessState, { events, expected }: PoissonBatch): EProcessState {
  if (!(expected > 0) || !Number.isFinite(expected) || events < 0) return state;
  const logLr = state.grid.map((r, i) => (state.logLr[i] ?? 0) + events * Math.log(r) - (r - 1) * expected);
  return { grid: state.grid, logLr };
}

/** log of the mixture e-value: log((1/K)·Σ exp(logLr_k)). */
export function logEValue(state: EProcessState): number {
  const max = Math.max(...state.logLr);
  if (!Number.isFinite(max)) return max;
  let sum = 0;
  for (const l of state.logLr) sum += Math.exp(l - max);
  return max + Math.log(sum / state.logLr.length);
}

export function eValue(state: EProcessState): number {
  return Math.exp(logEValue(state));
}
