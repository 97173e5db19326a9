import { inflationFor, NO_DISPERSION } from "./dispersion.js";
import { DEFAULT_GRID, type EProcessState, logEValue, updateShare } from "./e-process.js";
import type { AnalysisState } from "./types.js";

/**
 * The effect bound reported at promotion: an upper confidence-sequence bound on the canary's error rate ÷ the
 * stable's. For each ratio θ the e-process bets that the canary is *better* than θ; it is a supermartingale under
 * "ratio ≥ θ", so the θs it has rejected (e ≥ 1/α) are excluded with probability ≥ 1 − α at any poll, the release's
 * end included. The bound is the smallest excluded θ.
 */

export interface EffectBound {
  /** Upper bound on the canary/stable error-rate ratio; undefined when the data exclude no ratio up to 1000. */
  upper: number | undefined;
  /** 1 − α. */
  confidence: number;
  /** "canary error ratio ≤ 1.3× with 99% confidence (confidence sequence, 412 errors)". */
  summary: string;
}

function logEAt(state: AnalysisState, theta: number): number {
  const dispersion = state.options.preRelease?.errorDispersion ?? NO_DISPERSION;
  let e: EProcessState = { grid: DEFAULT_GRID.map((r) => 1 / r), logLr: DEFAULT_GRID.map(() => 0) };
  for (const w of state.errorWindows) {
    const trials = w.canaryErrors + w.stableErrors;
    const nullOdds = theta * w.exposure;
    const inflation = inflationFor(dispersion, trials, nullOdds / (1 + nullOdds));
    e = updateShare(e, { hits: w.canaryErrors, trials, nullOdds, inflation });
  }
  return logEValue(e);
}

/**
 * Computes the bound by bisection on log θ (each test's e-value grows with θ).
 *
 * @example
 * effectBound(state).summary; // "canary error ratio ≤ 1.3× with 99% confidence (confidence sequence, 412 errors)"
 */
export function effectBound(state: AnalysisState): EffectBound {
  const alpha = state.options.alpha;
  const target = Math.log(1 / alpha);
  const confidence = 1 - alpha;
  const level = `${Number((confidence * 100).toFixed(2))}%`;
  const errors = state.errorWindows.reduce((s, w) => s + w.canaryErrors + w.stableErrors, 0);
  const maxTheta = 1000;
  if (logEAt(state, maxTheta) < target) {
    return {
      upper: undefined,
      confidence,
      summary: `canary error ratio not bounded yet with ${level} confidence (${errors} errors seen)`,
    };
  }
  let lo = Math.log(0.001);
  let hi = Math.log(maxTheta);
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (logEAt(state, Math.exp(mid)) >= target) hi = mid;
    else lo = mid;
  }
  const upper = Math.exp(hi);
  const shown = upper >= 10 ? upper.toFixed(0) : upper.toFixed(2);
  return {
    upper,
    confidence,
    summary: `canary error ratio ≤ ${shown}× with ${level} confidence (confidence sequence, ${errors} errors)`,
  };
}
