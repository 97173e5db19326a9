import { ANALYSIS_DEFAULTS, type LatencyQuantileName } from "../../core/analysis-defaults.js";
import type { VersionMetrics } from "../../platform/platform.js";
import { inflationFor, NO_DISPERSION } from "./dispersion.js";
import {
  createEProcess,
  DEFAULT_GRID,
  type EProcessState,
  logEValue,
  updatePoisson,
  updateShare,
} from "./e-process.js";
import { errorsOf, type Stratum, strataOf } from "./strata.js";
import type {
  AnalysisOptions,
  AnalysisState,
  Counts,
  PollObservation,
  ResolvedAnalysisOptions,
  StratumTotals,
  TestName,
} from "./types.js";
import { type Verdict, verdictOf } from "./verdict.js";

/**
 * Canary analysis, one poll at a time: the canary against the stable version over the same windows, within each
 * route. Every test is an anytime-valid e-process (see e-process.ts and docs/release.md), and the tests are
 * combined by averaging their e-values: under a healthy canary every one is a supermartingale on the same polls,
 * so their average is one too, and the chance that it ever reaches 1/α, over the whole release and checked at
 * every poll, is ≤ α.
 */

export { errorsOf, slowerThan } from "./strata.js";
export type {
  AnalysisOptions,
  AnalysisState,
  Counts,
  ErrorWindow,
  LatencyTest,
  PollObservation,
  PreRelease,
  ResolvedAnalysisOptions,
  SloOptions,
  StratumTotals,
  TestName,
} from "./types.js";
export { formatE, formatPercent, type TestResult, type Verdict, verdictOf } from "./verdict.js";

const EMPTY: Counts = { requests: 0, errors: 0, sloSlow: 0, sloTrials: 0 };

/**
 * Fills in the defaults (from `src/core/analysis-defaults.ts`, the single source) and checks the ranges.
 *
 * @example
 * resolveAnalysisOptions({ alpha: 0.05 }).latencyQuantiles; // ["p50", "p90", "p99"]
 */
export function resolveAnalysisOptions({
  alpha = ANALYSIS_DEFAULTS.alpha,
  toleratedIncrease = ANALYSIS_DEFAULTS.toleratedIncrease,
  latencyQuantiles = ANALYSIS_DEFAULTS.latencyQuantiles,
  slo = {},
  minSamples = ANALYSIS_DEFAULTS.minSamples,
  watch = {},
  preRelease,
  srmTolerance = ANALYSIS_DEFAULTS.srmTolerance,
  grid = DEFAULT_GRID,
}: AnalysisOptions = {}): ResolvedAnalysisOptions {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(toleratedIncrease >= 0)) throw new RangeError(`toleratedIncrease must be ≥ 0, got ${toleratedIncrease}`);
  return {
    alpha,
    toleratedIncrease,
    latencyQuantiles,
    slo: { latencyQuantile: 0.95, ...slo },
    minSamples,
    watch: { queues: watch.queues ?? [], durableObjects: watch.durableObjects ?? [] },
    preRelease,
    srmTolerance,
    grid,
  };
}

/** The latency bounds frozen from pre-release data; a quantile the platform did not give is left out. */
export function frozenLatencyBounds(o: ResolvedAnalysisOptions): { quantile: LatencyQuantileName; boundMs: number }[] {
  const pre = o.preRelease;
  if (!pre?.latency || pre.requests < ANALYSIS_DEFAULTS.minPreReleaseRequests) return [];
  const out: { quantile: LatencyQuantileName; boundMs: number }[] = [];
  for (const q of o.latencyQuantiles) {
    const v = pre.latency[q];
    if (v !== undefined && v > 0 && Number.isFinite(v)) out.push({ quantile: q, boundMs: roundMs(v) });
  }
  return out;
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** Which tests run: decided before the ramp from the options and the pre-release data, never from the ramp's. */
export function enabledTests(o: ResolvedAnalysisOptions): TestName[] {
  const names: TestName[] = ["errors"];
  if (frozenLatencyBounds(o).length > 0) names.push("latency");
  if (o.slo.errorRate !== undefined) names.push("slo-errors");
  if (o.slo.latencyMs !== undefined) names.push("slo-latency");
  if (o.watch.queues.length > 0) names.push("dlq");
  if (o.watch.durableObjects.length > 0) names.push("durable-objects");
  return names;
}

/**
 * Starts the analysis of one release.
 *
 * @example
 * let state = createAnalysis({ alpha: 0.01, preRelease: { requests: 6000, seconds: 600, latency } });
 * const { state: next, verdict } = analyzePoll(state, { canary, stable, seconds: 10, percent: 5 });
 * console.log(verdict.message);
 */
export function createAnalysis(options: AnalysisOptions = {}): AnalysisState {
  const o = resolveAnalysisOptions(options);
  const on = new Set(enabledTests(o));
  const make = (n: TestName) => (on.has(n) ? createEProcess({ grid: o.grid }) : undefined);
  const theta = 1 + o.toleratedIncrease;
  return {
    options: o,
    tests: {
      errors: make("errors"),
      latency: make("latency"),
      "slo-errors": make("slo-errors"),
      "slo-latency": make("slo-latency"),
      dlq: make("dlq"),
      "durable-objects": make("durable-objects"),
    },
    latency: frozenLatencyBounds(o).map(({ quantile, boundMs }) => ({
      quantile,
      boundMs,
      canaryBoundMs: roundMs(boundMs * theta),
      e: createEProcess({ grid: o.grid }),
      canarySlow: 0,
      canaryTrials: 0,
      stableSlow: 0,
      stableTrials: 0,
    })),
    srm: { up: createEProcess({ grid: o.grid }), down: createEProcess({ grid: o.grid }), canary: 0, total: 0 },
    strata: {},
    errorWindows: [],
    canary: EMPTY,
    stable: EMPTY,
    dlq: { canary: 0, stable: 0, unattributed: 0, alert: createEProcess({ grid: o.grid }) },
    durableObjects: { canary: 0, stable: 0, unattributed: 0, alert: createEProcess({ grid: o.grid }) },
    stableSlo: {
      errors: createEProcess({ grid: o.grid }),
      latency: createEProcess({ grid: o.grid }),
      errorsBreached: false,
      latencyBreached: false,
    },
    seconds: 0,
    polls: 0,
  };
}

/** Latency bounds (ms) the next metrics query must count slower requests against. */
export function latencyBoundsNeeded(state: AnalysisState): number[] {
  const bounds: number[] = [];
  for (const t of state.latency) bounds.push(t.boundMs, t.canaryBoundMs);
  if (state.options.slo.latencyMs !== undefined) bounds.push(state.options.slo.latencyMs);
  return [...new Set(bounds)];
}

/** Folds one poll window into the analysis and decides: roll back, pause, hold (not enough data), or ok so far. */
export function analyzePoll(state: AnalysisState, obs: PollObservation): { state: AnalysisState; verdict: Verdict } {
  const c = obs.canary;
  const s = obs.stable;
  let next: AnalysisState = { ...state, seconds: state.seconds + obs.seconds, polls: state.polls + 1 };
  // Requests without status rows: their errors are unknown, not zero, so the window is missing data.
  if (c?.statusUnknown || s?.statusUnknown) return { state: next, verdict: verdictOf(next) };
  if (c && s && c.requests > 0 && s.requests > 0) {
    const strata = strataOf(c, s);
    next = foldErrors(next, strata);
    next = foldLatency(next, strata);
  }
  // A window where one version served nothing is evidence on the split too (a version without rows served none).
  next = foldSrm(next, c?.requests ?? 0, s?.requests ?? 0, obs.percent);
  next = foldTotals(next, c, s);
  next = foldSlo(next, c, s);
  next = foldSignals(next, obs);
  return { state: next, verdict: verdictOf(next) };
}

/** The error test, stratum by stratum: given a stratum's errors, each is the canary's with odds θ·N_c/N_s. */
function foldErrors(state: AnalysisState, strata: readonly Stratum[]): AnalysisState {
  const o = state.options;
  let test = state.tests.errors;
  if (!test) return state;
  const theta0 = 1 + o.toleratedIncrease;
  const dispersion = o.preRelease?.errorDispersion ?? NO_DISPERSION;
  const totals: Record<string, StratumTotals> = { ...state.strata };
  const windows = [...state.errorWindows];
  for (const st of strata) {
    const { canary: c, stable: s } = st;
    const trials = c.errors + s.errors;
    const nullOdds = (theta0 * c.requests) / s.requests;
    const inflation = inflationFor(dispersion, trials, nullOdds / (1 + nullOdds));
    const before = test.logLr;
    test = updateShare(test, { hits: c.errors, trials, nullOdds, inflation });
    const prev = totals[st.name];
    const after = test.logLr;
    totals[st.name] = {
      canary: { requests: (prev?.canary.requests ?? 0) + c.requests, errors: (prev?.canary.errors ?? 0) + c.errors },
      stable: { requests: (prev?.stable.requests ?? 0) + s.requests, errors: (prev?.stable.errors ?? 0) + s.errors },
      logLr: after.map((l, i) => (prev?.logLr[i] ?? 0) + l - (before[i] ?? 0)),
    };
    if (trials > 0) windows.push({ canaryErrors: c.errors, stableErrors: s.errors, exposure: c.requests / s.requests });
  }
  return { ...state, tests: { ...state.tests, errors: test }, strata: totals, errorWindows: windows };
}

/**
 * Each latency quantile q: the canary's requests slower than (1+δ)·t_q against the stable's slower than t_q, where
 * t_q is the stable version's pre-release quantile. If the canary's latency is at most (1+δ) times the stable's
 * (in distribution), the canary's share of those slow requests has odds ≤ N_c/N_s.
 */
function foldLatency(state: AnalysisState, strata: readonly Stratum[]): AnalysisState {
  if (state.latency.length === 0) return state;
  const dispersion = state.options.preRelease?.latencyDispersion ?? {};
  const latency = state.latency.map((t) => {
    let next = t;
    for (const st of strata) {
      const sc = st.canary.slower(t.canaryBoundMs);
      const ss = st.stable.slower(t.boundMs);
      if (sc === undefined || ss === undefined) continue;
      const nullOdds = st.canary.requests / st.stable.requests;
      const inflation = inflationFor(dispersion[t.quantile] ?? NO_DISPERSION, sc + ss, nullOdds / (1 + nullOdds));
      next = {
        ...next,
        e: updateShare(next.e, { hits: sc, trials: sc + ss, nullOdds, inflation }),
        canarySlow: next.canarySlow + sc,
        canaryTrials: next.canaryTrials + st.canary.requests,
        stableSlow: next.stableSlow + ss,
        stableTrials: next.stableTrials + st.stable.requests,
      };
    }
    return next;
  });
  return { ...state, latency };
}

/**
 * Sample-ratio mismatch: is the canary's share of requests the configured one, within a relative tolerance on
 * the odds? Two one-sided e-processes (share too high, share too low), averaged, each window tempered by the
 * clustering of requests the stable pre-release counts showed.
 */
function foldSrm(state: AnalysisState, canary: number, stable: number, percent: number | undefined): AnalysisState {
  if (percent === undefined || percent <= 0 || percent >= 100) return state;
  const odds = percent / (100 - percent);
  const tol = 1 + state.options.srmTolerance;
  const total = canary + stable;
  if (total <= 0) return state;
  // Requests that arrive in clusters sent to one version (affinity) spread the share by the counts' Fano factor.
  const inflation = state.options.preRelease?.requestDispersion?.fano ?? 1;
  return {
    ...state,
    srm: {
      up: updateShare(state.srm.up, { hits: canary, trials: total, nullOdds: odds * tol, inflation }),
      down: updateShare(state.srm.down, { hits: stable, trials: total, nullOdds: tol / odds, inflation }),
      canary: state.srm.canary + canary,
      total: state.srm.total + total,
    },
  };
}

/** Each version's requests and failed requests, whole-Worker, for the minimum samples and the report. */
function foldTotals(state: AnalysisState, c: VersionMetrics | undefined, s: VersionMetrics | undefined): AnalysisState {
  const add = (t: Counts, m: VersionMetrics | undefined): Counts =>
    m ? { ...t, requests: t.requests + m.requests, errors: t.errors + errorsOf(m) } : t;
  return { ...state, canary: add(state.canary, c), stable: add(state.stable, s) };
}

/** The absolute SLO ceilings, on the canary; the same tests on stable tell a shared breach apart. */
function foldSlo(state: AnalysisState, c: VersionMetrics | undefined, s: VersionMetrics | undefined): AnalysisState {
  const o = state.options;
  const tests = { ...state.tests };
  const ceiling = o.slo.errorRate;
  const d = o.preRelease?.errorDispersion ?? NO_DISPERSION;
  const bar = Math.log(1 / o.alpha);
  let stableSlo = state.stableSlo;
  if (tests["slo-errors"] && ceiling !== undefined && ceiling > 0 && ceiling < 1) {
    // One sample against a fixed ceiling: clumps inflate by the Fano factor, drift by n·p·CV²/(1−p).
    const batch = (m: VersionMetrics) => ({
      hits: errorsOf(m),
      trials: m.requests,
      nullOdds: ceiling / (1 - ceiling),
      inflation: Math.max(d.fano, 1 + (m.requests * ceiling * d.cv2) / (1 - ceiling)),
    });
    if (c && c.requests > 0) tests["slo-errors"] = updateShare(tests["slo-errors"], batch(c));
    if (s && s.requests > 0) {
      const errors = updateShare(fresh(stableSlo.errors), batch(s));
      stableSlo = { ...stableSlo, errors, errorsBreached: stableSlo.errorsBreached || logEValue(errors) >= bar };
    }
  }
  return foldSloLatency({ ...state, tests, stableSlo }, c, s);
}

/**
 * The stable SLO monitor forgets evidence *for* the ceiling (each component restarts from 1 when below it, as a
 * CUSUM does), so an incident that starts late in the release is seen on stable at once.
 */
function fresh(e: EProcessState): EProcessState {
  return { grid: e.grid, logLr: e.logLr.map((l) => Math.max(0, l)) };
}

function foldSloLatency(
  state: AnalysisState,
  c: VersionMetrics | undefined,
  s: VersionMetrics | undefined,
): AnalysisState {
  const o = state.options;
  const bound = o.slo.latencyMs;
  const test = state.tests["slo-latency"];
  if (bound === undefined || !test) return state;
  const q = o.slo.latencyQuantile ?? 0.95;
  const nullOdds = (1 - q) / q;
  let { canary, stable, stableSlo } = state;
  let next = test;
  const slow = c && c.requests > 0 ? sloSlow(c, bound) : undefined;
  if (c && slow !== undefined) {
    next = updateShare(test, { hits: slow, trials: c.requests, nullOdds });
    canary = { ...canary, sloSlow: canary.sloSlow + slow, sloTrials: canary.sloTrials + c.requests };
  }
  const stableSlow = s && s.requests > 0 ? sloSlow(s, bound) : undefined;
  if (s && stableSlow !== undefined) {
    stable = { ...stable, sloSlow: stable.sloSlow + stableSlow, sloTrials: stable.sloTrials + s.requests };
    const latency = updateShare(fresh(stableSlo.latency), { hits: stableSlow, trials: s.requests, nullOdds });
    const breached = stableSlo.latencyBreached || logEValue(latency) >= Math.log(1 / o.alpha);
    stableSlo = { ...stableSlo, latency, latencyBreached: breached };
  }
  return { ...state, tests: { ...state.tests, "slo-latency": next }, canary, stable, stableSlo };
}

function sloSlow(m: VersionMetrics, bound: number): number | undefined {
  const exact = m.slowerThan?.[String(bound)];
  if (exact !== undefined) return exact;
  return strataOf(m, m)[0]?.canary.slower(bound);
}

function sumValues(r: Record<string, number> | undefined, keys: readonly string[]): number {
  if (!r) return 0;
  return keys.reduce((s, k) => s + (r[k] ?? 0), 0);
}

/**
 * DLQ messages and Durable Object errors. Attributed to a version, they are compared canary against stable like
 * errors, and can roll back. Without attribution they are Worker-wide: compared with the pre-release rate they
 * only raise an alert, since traffic growth or an incident on stable moves them as much as a bad canary does.
 */
function foldSignals(state: AnalysisState, obs: PollObservation): AnalysisState {
  const extra = obs.extra;
  const o = state.options;
  if (!extra || obs.seconds <= 0) return state;
  const ids =
    obs.ids ?? (obs.canary && obs.stable ? { canary: obs.canary.versionId, stable: obs.stable.versionId } : undefined);
  const byVersion = extra.byVersion;
  const attributed = ids !== undefined && byVersion !== undefined;
  const canaryShare = shareOdds(obs, o.toleratedIncrease);
  const fold = (
    kind: "dlq" | "durable-objects",
    keys: readonly string[],
    pick: (e: {
      dlqMessages: Record<string, number>;
      durableObjectErrors: Record<string, number>;
    }) => Record<string, number>,
    ratePerSecond: number,
  ) => {
    const prev = kind === "dlq" ? state.dlq : state.durableObjects;
    if (keys.length === 0) return { prev, test: state.tests[kind] };
    if (attributed && ids && byVersion) {
      const ce = byVersion[ids.canary];
      const se = byVersion[ids.stable];
      const cv = sumValues(ce ? pick(ce) : undefined, keys);
      const sv = sumValues(se ? pick(se) : undefined, keys);
      const t = state.tests[kind];
      // Bursts on one version spread the canary's share by the counts' Fano factor, read before the ramp.
      const bursts = kind === "dlq" ? o.preRelease?.dlqDispersion : o.preRelease?.durableObjectDispersion;
      const batch = { hits: cv, trials: cv + sv, nullOdds: canaryShare ?? 1, inflation: bursts?.fano ?? 1 };
      const test = t && canaryShare ? updateShare(t, batch) : t;
      return { prev: { ...prev, canary: prev.canary + cv, stable: prev.stable + sv }, test };
    }
    const events = sumValues(pick(extra), keys);
    const expected = Math.max(ratePerSecond, 1 / 3600) * (1 + o.toleratedIncrease) * obs.seconds;
    const alert = updatePoisson(prev.alert, { events, expected });
    return { prev: { ...prev, unattributed: prev.unattributed + events, alert }, test: state.tests[kind] };
  };
  const pre = o.preRelease;
  const d = fold("dlq", o.watch.queues, (e) => e.dlqMessages, pre?.dlqPerSecond ?? 0);
  const x = fold(
    "durable-objects",
    o.watch.durableObjects,
    (e) => e.durableObjectErrors,
    pre?.durableObjectErrorsPerSecond ?? 0,
  );
  return {
    ...state,
    tests: { ...state.tests, dlq: d.test, "durable-objects": x.test },
    dlq: d.prev,
    durableObjects: x.prev,
  };
}

/** The null odds of the canary's share of an attributed signal: its share of requests (or of the split), × θ. */
function shareOdds(obs: PollObservation, tolerated: number): number | undefined {
  const c = obs.canary?.requests ?? 0;
  const s = obs.stable?.requests ?? 0;
  if (c > 0 && s > 0) return ((1 + tolerated) * c) / s;
  const p = obs.percent;
  if (p !== undefined && p > 0 && p < 100) return ((1 + tolerated) * p) / (100 - p);
  return undefined;
}
