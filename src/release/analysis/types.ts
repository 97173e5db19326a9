import type { LatencyQuantileName } from "../../core/analysis-defaults.js";
import type { ExtraSignals, LatencySummary, VersionMetrics } from "../../platform/platform.js";
import type { Dispersion } from "./dispersion.js";
import type { EProcessState } from "./e-process.js";

/** The analysis's data types, apart from its functions so the verdict and the effect bound can read them. */

export type TestName = "errors" | "latency" | "slo-errors" | "slo-latency" | "dlq" | "durable-objects";

export interface SloOptions {
  /** Canary error-rate ceiling, e.g. 0.01 for 1 %. */
  errorRate?: number;
  /** Canary latency ceiling in ms at `latencyQuantile`. */
  latencyMs?: number;
  /** 0.95 means "p95 ≤ latencyMs", i.e. at most 5 % of requests slower than latencyMs. */
  latencyQuantile?: number;
}

/** What the stable version looked like before the ramp: everything the analysis fixes up front comes from it. */
export interface PreRelease {
  /** Stable requests in the pre-release window. */
  requests: number;
  seconds: number;
  /** Stable latency quantiles over the window; the latency bounds freeze from them. */
  latency?: LatencySummary;
  /** Dispersion of the stable error counts between poll-sized windows. */
  errorDispersion?: Dispersion;
  /** Dispersion of the stable request counts between poll-sized windows (the sample-ratio test's clustering). */
  requestDispersion?: Dispersion;
  /** Dispersion of the stable slow counts at each latency bound. */
  latencyDispersion?: Partial<Record<LatencyQuantileName, Dispersion>>;
  /** Bursts of the watched signals between poll-sized windows (a batch dead-lettered at once, a hot object failing). */
  dlqDispersion?: Dispersion;
  durableObjectDispersion?: Dispersion;
  /** Worker-wide rates of the watched signals, for the alerts on signals no version is attributed. */
  dlqPerSecond?: number;
  durableObjectErrorsPerSecond?: number;
}

export interface AnalysisOptions {
  /** Bound on the probability of rolling back a healthy canary over the whole release. */
  alpha?: number;
  /** Relative increase tolerated: errors on the rate ratio, latency on the latency scale (0.1: 10 % slower). */
  toleratedIncrease?: number;
  /** Quantiles of the stable pre-release latency to compare at; [] turns latency off. */
  latencyQuantiles?: readonly LatencyQuantileName[];
  slo?: SloOptions;
  /** Canary requests below which the analysis holds (never passes). */
  minSamples?: number;
  /** DLQ names and Durable Object classes to watch. */
  watch?: { queues?: string[]; durableObjects?: string[] };
  preRelease?: PreRelease;
  /** Relative tolerance of the sample-ratio test on the odds of the canary's share. */
  srmTolerance?: number;
  grid?: readonly number[];
}

export interface ResolvedAnalysisOptions {
  alpha: number;
  toleratedIncrease: number;
  latencyQuantiles: readonly LatencyQuantileName[];
  slo: SloOptions;
  minSamples: number;
  watch: { queues: string[]; durableObjects: string[] };
  preRelease: PreRelease | undefined;
  srmTolerance: number;
  grid: readonly number[];
}

export interface Counts {
  requests: number;
  errors: number;
  /** Requests slower than the SLO latency bound, and the requests counted against it. */
  sloSlow: number;
  sloTrials: number;
}

/** One latency quantile's test: the frozen stable bound, and the slow counts on each side. */
export interface LatencyTest {
  quantile: LatencyQuantileName;
  /** The stable version's pre-release quantile, ms. */
  boundMs: number;
  /** The canary's bound, on the latency scale: boundMs × (1 + toleratedIncrease). */
  canaryBoundMs: number;
  e: EProcessState;
  canarySlow: number;
  canaryTrials: number;
  stableSlow: number;
  stableTrials: number;
}

/** One stratum's share of the error test: its counts and its log likelihood ratio at every grid point. */
export interface StratumTotals {
  canary: { requests: number; errors: number };
  stable: { requests: number; errors: number };
  logLr: number[];
}

/** One window of the error test, kept for the effect bound at promotion. */
export interface ErrorWindow {
  canaryErrors: number;
  stableErrors: number;
  /** Canary requests ÷ stable requests in the window (and stratum). */
  exposure: number;
}

export interface AnalysisState {
  readonly options: ResolvedAnalysisOptions;
  readonly tests: Readonly<Record<TestName, EProcessState | undefined>>;
  readonly latency: readonly LatencyTest[];
  readonly srm: {
    readonly up: EProcessState;
    readonly down: EProcessState;
    readonly canary: number;
    readonly total: number;
  };
  readonly strata: Readonly<Record<string, StratumTotals>>;
  readonly errorWindows: readonly ErrorWindow[];
  readonly canary: Counts;
  readonly stable: Counts;
  readonly dlq: { canary: number; stable: number; unattributed: number; alert: EProcessState };
  readonly durableObjects: { canary: number; stable: number; unattributed: number; alert: EProcessState };
  /**
   * The SLO tests run on the stable version too: once stable's own e-value has reached 1/α, a canary breach is
   * shared (an incident on both) and pages instead of rolling back.
   */
  readonly stableSlo: {
    readonly errors: EProcessState;
    readonly latency: EProcessState;
    readonly errorsBreached: boolean;
    readonly latencyBreached: boolean;
  };
  readonly seconds: number;
  readonly polls: number;
}

export interface PollObservation {
  /** Metrics of this poll's window only (disjoint from earlier polls). */
  canary: VersionMetrics | undefined;
  stable: VersionMetrics | undefined;
  extra?: ExtraSignals;
  /** Version ids, to read signals attributed by version; default: the metrics' own ids. */
  ids?: { canary: string; stable: string };
  /** The canary's configured share in this window, 0-100, for the sample-ratio test. */
  percent?: number;
  /** Length of the window in seconds. */
  seconds: number;
}
