import type { ExtraSignals, VersionMetrics } from "../../platform/platform.js";
import {
  createEProcess,
  DEFAULT_GRID,
  type EProcessState,
  eValue,
  logEValue,
  updateBernoulli,
  updatePoisson,
} from "./e-process.js";

/**
 * Canary analysis, one poll at a time: the canary against the stable version over the same windows. Every test is
 * an anytime-valid e-process (see e-process.ts and docs/release.md); α is split equally between the tests that are
 * switched on, so the chance of any false rollback over the whole release, checked at every poll, stays ≤ α.
 */

export type TestName = "errors" | "latency" | "slo-errors" | "slo-latency" | "dlq" | "durable-objects";

export interface SloOptions {
  /** Canary error-rate ceiling, e.g. 0.01 for 1 %. */
  errorRate?: number;
  /** Canary latency ceiling in ms at `latencyQuantile`. */
  latencyMs?: number;
  /** 0.95 means "p95 ≤ latencyMs", i.e. at most 5 % of requests slower than latencyMs. */
  latencyQuantile?: number;
}

export interface AnalysisOptions {
  /** Bound on the probability of a false rollback over the whole release. */
  alpha?: number;
  /** Relative increase tolerated before a difference counts, e.g. 0.1: canary may be up to 10 % worse. */
  toleratedIncrease?: number;
  /** Compare latency as counts of requests slower than the stable version's p95 or p99; false turns it off. */
  latencyQuantile?: "p95" | "p99" | false;
  slo?: SloOptions;
  /** Canary requests below which the analysis holds (never passes). */
  minSamples?: number;
  /** DLQ names and Durable Object classes to watch; their baseline rates come from before the release. */
  watch?: { queues?: string[]; durableObjects?: string[] };
  /** Events per second before the release, for the watched signals. */
  baseline?: { dlqPerSecond?: number; durableObjectErrorsPerSecond?: number };
  grid?: readonly number[];
}

export interface Counts {
  requests: number;
  errors: number;
  /** Requests slower than the frozen latency threshold (when it is set and the platform counted them). */
  slow: number;
  /** Requests counted against `slow` (0 until the threshold is frozen). */
  slowTrials: number;
  /** Requests slower than the SLO latency bound. */
  sloSlow: number;
  sloTrials: number;
}

export interface AnalysisState {
  readonly options: ResolvedAnalysisOptions;
  readonly tests: Readonly<Record<TestName, EProcessState | undefined>>;
  readonly canary: Counts;
  readonly stable: Counts;
  /** The stable version's latency quantile, frozen at the first poll with enough stable samples. */
  readonly latencyThresholdMs: number | undefined;
  readonly dlqMessages: number;
  readonly durableObjectErrors: number;
  readonly seconds: number;
  readonly polls: number;
}

export interface ResolvedAnalysisOptions {
  alpha: number;
  toleratedIncrease: number;
  latencyQuantile: "p95" | "p99" | false;
  slo: SloOptions;
  minSamples: number;
  watch: { queues: string[]; durableObjects: string[] };
  baseline: { dlqPerSecond: number; durableObjectErrorsPerSecond: number };
  grid: readonly number[];
}

export interface PollObservation {
  /** Metrics of this poll's window only (disjoint from earlier polls). */
  canary: VersionMetrics | undefined;
  stable: VersionMetrics | undefined;
  extra?: ExtraSignals;
  /** Length of the window in seconds. */
  seconds: number;
}

export interface TestResult {
  name: TestName;
  e: number;
  /** 1/(α/K): the e-value at which this test rolls back. */
  threshold: number;
  reject: boolean;
  /** One line with the numbers, e.g. "canary 5xx 4.1% (41/1000) vs stable 0.2% (18/9000), e=152 ≥ 100". */
  summary: string;
}

export type Action = "rollback" | "hold" | "ok";

export interface Verdict {
  action: Action;
  /** The decision line, strong_migrations style: the numbers, then what happens. */
  message: string;
  tests: TestResult[];
  canaryRequests: number;
  stableRequests: number;
}

const EMPTY: Counts = { requests: 0, errors: 0, slow: 0, slowTrials: 0, sloSlow: 0, sloTrials: 0 };

export function resolveAnalysisOptions({
  alpha = 0.01,
  toleratedIncrease = 0.1,
  latencyQuantile = "p95",
  slo = {},
  minSamples = 100,
  watch = {},
  baseline = {},
  grid = DEFAULT_GRID,
}: AnalysisOptions = {}): ResolvedAnalysisOptions {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(toleratedIncrease >= 0)) throw new RangeError(`toleratedIncrease must be ≥ 0, got ${toleratedIncrease}`);
  return {
    alpha,
    toleratedIncrease,
    latencyQuantile,
    slo: { latencyQuantile: 0.95, ...slo },
    minSamples,
    watch: { queues: watch.queues ?? [], durableObjects: watch.durableObjects ?? [] },
    baseline: {
      dlqPerSecond: baseline.dlqPerSecond ?? 0,
      durableObjectErrorsPerSecond: baseline.durableObjectErrorsPerSecond ?? 0,
    },
    grid,
  };
}

/** Which tests run: decided from the options alone, never from the data, so the α split is fixed up front. */
export function enabledTests(o: ResolvedAnalysisOptions): TestName[] {
  const names: TestName[] = ["errors"];
  if (o.latencyQuantile) names.push("latency");
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
 * let state = createAnalysis({ alpha: 0.01, slo: { errorRate: 0.02 } });
 * const { state: next, verdict } = analyzePoll(state, { canary, stable, seconds: 10 });
 * console.log(verdict.message); // "canary 5xx 4.1% (41/1000) vs stable 0.2% (18/9000), e=152 ≥ 100: rolling back"
 */
export function createAnalysis(options: AnalysisOptions = {}): AnalysisState {
  const resolved = resolveAnalysisOptions(options);
  const on = new Set(enabledTests(resolved));
  const make = (n: TestName) => (on.has(n) ? createEProcess({ grid: resolved.grid }) : undefined);
  return {
    options: resolved,
    tests: {
      errors: make("errors"),
      latency: make("latency"),
      "slo-errors": make("slo-errors"),
      "slo-latency": make("slo-latency"),
      dlq: make("dlq"),
      "durable-objects": make("durable-objects"),
    },
    canary: EMPTY,
    stable: EMPTY,
    latencyThresholdMs: undefined,
    dlqMessages: 0,
    durableObjectErrors: 0,
    seconds: 0,
    polls: 0,
  };
}

/** Latency bounds (ms) the next metrics query must count slower requests against. */
export function latencyBoundsNeeded(state: AnalysisState): number[] {
  const bounds: number[] = [];
  if (state.latencyThresholdMs !== undefined) bounds.push(state.latencyThresholdMs);
  if (state.options.slo.latencyMs !== undefined) bounds.push(state.options.slo.latencyMs);
  return [...new Set(bounds)];
}

/** Errors of a version: 5xx responses plus uncaught exceptions (the platform counts them apart). */
export function errorsOf(m: VersionMetrics): number {
  return m.status["5xx"] + m.exceptions;
}

/**
 * Requests slower than `boundMs`: the platform's own count when it has one, else from the histogram, counting
 * only buckets that lie wholly above the bound (an undercount, so it can only make the test more conservative).
 */
export function slowerThan(m: VersionMetrics, boundMs: number): number | undefined {
  const exact = m.slowerThan?.[String(boundMs)];
  if (exact !== undefined) return exact;
  const h = m.histogram;
  if (!h) return undefined;
  let count = 0;
  for (let i = 0; i < h.counts.length; i++) {
    const lower = i === 0 ? 0 : (h.boundsMs[i - 1] ?? Number.POSITIVE_INFINITY);
    if (lower >= boundMs) count += h.counts[i] ?? 0;
  }
  return count;
}

function sumValues(r: Record<string, number> | undefined, keys: readonly string[]): number {
  if (!r) return 0;
  return keys.reduce((s, k) => s + (r[k] ?? 0), 0);
}

function add(c: Counts, d: Partial<Counts>): Counts {
  return {
    requests: c.requests + (d.requests ?? 0),
    errors: c.errors + (d.errors ?? 0),
    slow: c.slow + (d.slow ?? 0),
    slowTrials: c.slowTrials + (d.slowTrials ?? 0),
    sloSlow: c.sloSlow + (d.sloSlow ?? 0),
    sloTrials: c.sloTrials + (d.sloTrials ?? 0),
  };
}

/** Folds one poll window into the analysis and decides: roll back, hold (not enough data), or ok so far. */
export function analyzePoll(state: AnalysisState, obs: PollObservation): { state: AnalysisState; verdict: Verdict } {
  const o = state.options;
  const theta0 = 1 + o.toleratedIncrease;
  const tests: Record<TestName, EProcessState | undefined> = { ...state.tests };
  const c = obs.canary;
  const s = obs.stable;
  const cd: Partial<Counts> = {};
  const sd: Partial<Counts> = {};

  if (c && s && c.requests > 0 && s.requests > 0) {
    // Errors: given the window's errors, each is the canary's with probability θN_c/(θN_c + N_s).
    const xc = errorsOf(c);
    const xs = errorsOf(s);
    if (tests.errors) {
      tests.errors = updateBernoulli(tests.errors, {
        hits: xc,
        trials: xc + xs,
        nullOdds: (theta0 * c.requests) / s.requests,
      });
    }
    // Latency as counts, against a threshold frozen before the windows it is applied to.
    const t = state.latencyThresholdMs;
    if (tests.latency && t !== undefined) {
      const sc = slowerThan(c, t);
      const ss = slowerThan(s, t);
      if (sc !== undefined && ss !== undefined) {
        tests.latency = updateBernoulli(tests.latency, {
          hits: sc,
          trials: sc + ss,
          nullOdds: (theta0 * c.requests) / s.requests,
        });
        Object.assign(cd, { slow: sc, slowTrials: c.requests });
        Object.assign(sd, { slow: ss, slowTrials: s.requests });
      }
    }
  }
  if (c && c.requests > 0) {
    cd.requests = c.requests;
    cd.errors = errorsOf(c);
    const ceiling = o.slo.errorRate;
    if (tests["slo-errors"] && ceiling !== undefined && ceiling > 0 && ceiling < 1) {
      tests["slo-errors"] = updateBernoulli(tests["slo-errors"], {
        hits: errorsOf(c),
        trials: c.requests,
        nullOdds: ceiling / (1 - ceiling),
      });
    }
    const bound = o.slo.latencyMs;
    const q = o.slo.latencyQuantile ?? 0.95;
    if (tests["slo-latency"] && bound !== undefined) {
      const slow = slowerThan(c, bound);
      if (slow !== undefined) {
        tests["slo-latency"] = updateBernoulli(tests["slo-latency"], {
          hits: slow,
          trials: c.requests,
          nullOdds: (1 - q) / q,
        });
        cd.sloSlow = slow;
        cd.sloTrials = c.requests;
      }
    }
  }
  if (s && s.requests > 0) {
    sd.requests = s.requests;
    sd.errors = errorsOf(s);
  }

  let dlq = 0;
  let doErrors = 0;
  if (obs.extra && obs.seconds > 0) {
    dlq = sumValues(obs.extra.dlqMessages, o.watch.queues);
    doErrors = sumValues(obs.extra.durableObjectErrors, o.watch.durableObjects);
    if (tests.dlq) {
      tests.dlq = updatePoisson(tests.dlq, { events: dlq, expected: poissonNull(o.baseline.dlqPerSecond, o, obs) });
    }
    if (tests["durable-objects"]) {
      tests["durable-objects"] = updatePoisson(tests["durable-objects"], {
        events: doErrors,
        expected: poissonNull(o.baseline.durableObjectErrorsPerSecond, o, obs),
      });
    }
  }

  // Freeze the latency threshold at the first window where the stable version has enough requests.
  let latencyThresholdMs = state.latencyThresholdMs;
  if (latencyThresholdMs === undefined && o.latencyQuantile && s && s.requests >= o.minSamples) {
    latencyThresholdMs = Math.max(1, Math.ceil(s.latency[o.latencyQuantile]));
  }

  const next: AnalysisState = {
    options: o,
    tests,
    canary: add(state.canary, cd),
    stable: add(state.stable, sd),
    latencyThresholdMs,
    dlqMessages: state.dlqMessages + dlq,
    durableObjectErrors: state.durableObjectErrors + doErrors,
    seconds: state.seconds + obs.seconds,
    polls: state.polls + 1,
  };
  return { state: next, verdict: verdictOf(next) };
}

/**
 * The null's expected count for a watched signal in this window: the baseline rate raised by the tolerated
 * increase, floored at one event an hour so that a silent baseline cannot turn one message into a rollback.
 */
function poissonNull(ratePerSecond: number, o: ResolvedAnalysisOptions, obs: PollObservation): number {
  const floor = 1 / 3600;
  return Math.max(ratePerSecond, floor) * (1 + o.toleratedIncrease) * obs.seconds;
}

/** Re-derives the verdict of a state (the last poll's decision). */
export function verdictOf(state: AnalysisState): Verdict {
  const o = state.options;
  const names = enabledTests(o);
  const threshold = names.length / o.alpha;
  const results: TestResult[] = [];
  for (const name of names) {
    const t = state.tests[name];
    if (!t) continue;
    const e = eValue(t);
    const reject = logEValue(t) >= Math.log(threshold);
    results.push({ name, e, threshold, reject, summary: `${describe(name, state)}, ${formatE(e, threshold)}` });
  }
  const rejected = results.filter((r) => r.reject);
  const base = { tests: results, canaryRequests: state.canary.requests, stableRequests: state.stable.requests };
  if (rejected.length > 0) {
    return { action: "rollback", message: `${rejected.map((r) => r.summary).join("; ")}: rolling back`, ...base };
  }
  const main = results.find((r) => r.name === "errors")?.summary ?? "";
  if (state.canary.requests < o.minSamples) {
    return {
      action: "hold",
      message: `${main}: holding, canary has ${state.canary.requests}/${o.minSamples} requests`,
      ...base,
    };
  }
  // The latency test starts once the stable bound is fixed; until it has its own minimum, "no regression" would
  // only speak for the error test (a slow canary could pass a short step unseen).
  if (state.tests.latency && state.canary.slowTrials < o.minSamples) {
    return {
      action: "hold",
      message: `${main}: holding, the latency test has ${state.canary.slowTrials}/${o.minSamples} canary requests`,
      ...base,
    };
  }
  return { action: "ok", message: `${main}: no regression so far`, ...base };
}

export function formatPercent(x: number, n: number): string {
  if (n <= 0) return "–";
  const p = (100 * x) / n;
  return `${p >= 10 || p === 0 ? p.toFixed(0) : p.toFixed(1)}%`;
}

export function formatE(e: number, threshold: number): string {
  const num = (v: number) =>
    !Number.isFinite(v) ? "∞" : v >= 1e6 ? v.toExponential(1) : v >= 10 ? v.toFixed(0) : v.toFixed(1);
  return `e=${num(e)} ${e >= threshold ? "≥" : "<"} ${num(threshold)}`;
}

function ratio(label: string, x: number, n: number): string {
  return `${label} ${formatPercent(x, n)} (${x}/${n})`;
}

function describe(name: TestName, st: AnalysisState): string {
  const { canary: c, stable: s, options: o } = st;
  switch (name) {
    case "errors":
      return `${ratio("canary 5xx", c.errors, c.requests)} vs ${ratio("stable", s.errors, s.requests)}`;
    case "latency":
      return st.latencyThresholdMs === undefined
        ? `latency: waiting for ${o.minSamples} stable requests to fix the ${o.latencyQuantile || ""} bound`
        : `${ratio(`canary slower than ${st.latencyThresholdMs} ms (stable ${o.latencyQuantile})`, c.slow, c.slowTrials)} vs ${ratio("stable", s.slow, s.slowTrials)}`;
    case "slo-errors":
      return `${ratio("canary 5xx", c.errors, c.requests)} vs SLO ceiling ${((o.slo.errorRate ?? 0) * 100).toFixed(2)}%`;
    case "slo-latency": {
      const q = Math.round((o.slo.latencyQuantile ?? 0.95) * 100);
      return `${ratio(`canary slower than ${o.slo.latencyMs} ms`, c.sloSlow, c.sloTrials)} vs SLO p${q} ≤ ${o.slo.latencyMs} ms (≤ ${100 - q}% allowed)`;
    }
    case "dlq":
      return `DLQ ${o.watch.queues.join(", ")}: ${st.dlqMessages} messages in ${Math.round(st.seconds)} s vs baseline ${o.baseline.dlqPerSecond.toPrecision(2)}/s`;
    case "durable-objects":
      return `DO ${o.watch.durableObjects.join(", ")}: ${st.durableObjectErrors} errors/overloads in ${Math.round(st.seconds)} s vs baseline ${o.baseline.durableObjectErrorsPerSecond.toPrecision(2)}/s`;
  }
}
