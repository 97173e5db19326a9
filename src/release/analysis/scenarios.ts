import { ANALYSIS_DEFAULTS, type LatencyQuantileName } from "../../core/analysis-defaults.js";
import type { ExtraSignals, RouteMetrics, VersionMetrics } from "../../platform/platform.js";
import type { PreRelease } from "./analyze.js";
import { atLeastBursts, estimateCountDispersion, estimateDispersion } from "./dispersion.js";
import type { Traffic } from "./sample-size.js";
import { binomial, poisson } from "./simulate.js";

/**
 * Production-shaped traffic for the analysis: each generator adds one imperfection that the tests' model does
 * not have (rates that drift per version, clumped errors, latency jitter, a different endpoint mix, sampled rows,
 * weighted rows, double-counted exceptions, overlapping windows, DLQ drift, a common-mode incident). Counts are
 * drawn per window, never per request, so thousands of releases run in seconds. Deterministic for a seed.
 */

export interface LatencyRegression {
  /** The canary's latency is the stable's times `factor` at the affected quantiles. */
  factor: number;
  /** "all": every request; "p50": the body (u ≤ 0.6), "p99": the tail (u ≥ 0.98), ramping between. */
  where: "all" | "p50" | "p99";
}

export interface Scenario {
  rps: number;
  /** Stable error rate. */
  baseErrorRate: number;
  /** Canary error rate ÷ stable's. */
  errorEffect: number;
  latencyRegression?: LatencyRegression;
  /** Log-normal latency of the stable version: median ms and σ of log latency. */
  latency: { medianMs: number; sigma: number };
  steps: readonly { percent: number; seconds: number }[];
  pollSeconds: number;
  preReleaseSeconds: number;
  /** Per version, per window: the error rate is multiplied by a mean-1 gamma draw with this CV. */
  rateCv?: number;
  /** Errors come in clusters of this mean size, each on one version (affinity with client retries). */
  clump?: number;
  /** Requests come in clusters of this mean size, each sent to one version (version affinity), pre-release too. */
  affinity?: number;
  /** Per version, per window: log latency shifts by a normal draw with this σ. */
  latencyJitter?: number;
  /**
   * A slow, error-prone route: its share of stable and of canary traffic, and how much worse it is;
   * `canaryErrorEffect` multiplies the canary's error rate on that route only (a route-specific regression).
   */
  route?: {
    stableShare: number;
    canaryShare: number;
    errorFactor: number;
    latencyFactor: number;
    canaryErrorEffect?: number;
  };
  /** Analytics sampling: each row kept with probability 1/interval; `weighted` multiplies counts back up. */
  sampling?: { interval: number; weighted: boolean };
  /** A share of errors also counted as exceptions (a thrown handler: one 500 and one exception). */
  thrownShare?: number;
  /** Each window also re-reads the previous window's last second (inclusive ends). */
  overlapSeconds?: number;
  /** Both versions' error rate × `factor` between these seconds of the ramp. */
  incident?: { from: number; to: number; factor: number };
  /** Traffic grows linearly to this multiple by the end of the ramp. */
  growth?: number;
  /**
   * DLQ messages per request on both versions; `attributed` fills ExtraSignals.byVersion. `clump`: a failed batch
   * is dead-lettered at once, on the version whose consumer failed it: batches of this mean size, never above
   * `maxBatch` (the consumer's `max_batch_size`, which the analysis reads from the config; default 10).
   * `configuredMaxBatch`: the `max_batch_size` the analysis is told, when the config says otherwise (default
   * `maxBatch`); 1 takes the batch bound away, leaving only the bursts the pre-release windows happened to show.
   */
  dlq?: { perRequest: number; attributed: boolean; clump?: number; maxBatch?: number; configuredMaxBatch?: number };
  /**
   * Durable Object errors per request on both versions (class "Cart"); `attributed` as for `dlq`; `clump`: they
   * come in bursts of this mean size on one version (one hot object failing repeatedly).
   */
  durableObjects?: { perRequest: number; attributed: boolean; clump?: number };
}

export interface ScenarioWindow {
  t: number;
  percent: number;
  canary: VersionMetrics;
  stable: VersionMetrics;
  extra?: ExtraSignals;
}

/** Inverse of the standard normal CDF (Acklam; relative error about 1e-9). */
export function normalQuantile(p: number): number {
  const a = [
    -39.6968302866538, 220.946098424521, -275.928510446969, 138.357751867269, -30.6647980661472, 2.50662827745924,
  ];
  const b = [-54.4760987982241, 161.585836858041, -155.698979859887, 66.8013118877197, -13.2806815528857];
  const c = [
    -0.00778489400243029, -0.322396458041136, -2.40075827716184, -2.54973253934373, 4.37466414146497, 2.93816398269878,
  ];
  const d = [0.00778469570904146, 0.32246712907004, 2.445134137143, 3.75440866190742];
  const q = Math.min(Math.max(p, 1e-12), 1 - 1e-12);
  const poly = (k: number[], x: number) => k.reduce((s, v) => s * x + v, 0);
  if (q < 0.02425) {
    const r = Math.sqrt(-2 * Math.log(q));
    return poly(c, r) / (poly(d, r) * r + 1);
  }
  if (q > 1 - 0.02425) {
    const r = Math.sqrt(-2 * Math.log(1 - q));
    return -poly(c, r) / (poly(d, r) * r + 1);
  }
  const r = (q - 0.5) ** 2;
  return (poly(a, r) * (q - 0.5)) / (poly(b, r) * r + 1);
}

/** Standard normal upper tail. */
function normalTail(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z));
  const y = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
  const tail = (Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI)) * y;
  return z >= 0 ? tail : 1 - tail;
}

const QUANTILE_U: Record<LatencyQuantileName, number> = { p50: 0.5, p90: 0.9, p99: 0.99 };

/** The stable version's latency quantile in ms. */
export function stableQuantile(s: Scenario, q: LatencyQuantileName): number {
  return s.latency.medianMs * Math.exp(s.latency.sigma * normalQuantile(QUANTILE_U[q]));
}

function regressionFactor(r: LatencyRegression | undefined, u: number): number {
  if (!r) return 1;
  const ramp = (from: number, to: number) => Math.min(1, Math.max(0, (u - from) / (to - from)));
  if (r.where === "all") return r.factor;
  if (r.where === "p50") return 1 + (r.factor - 1) * (1 - ramp(0.6, 0.8));
  return 1 + (r.factor - 1) * ramp(0.95, 0.98);
}

/** P(latency > x) for a version: log-normal, shifted by `shift` in log, with an optional quantile-shaped regression. */
function tail(s: Scenario, x: number, shift: number, r: LatencyRegression | undefined, scale: number): number {
  const m = Math.log(s.latency.medianMs * scale) + shift;
  const z = (Math.log(x) - m) / s.latency.sigma;
  if (!r) return normalTail(z);
  // Smallest u with Q(u)·g(u) > x, by bisection (Q·g is increasing for the shapes above).
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 30; i++) {
    const u = (lo + hi) / 2;
    const v = Math.exp(m + s.latency.sigma * normalQuantile(u)) * regressionFactor(r, u);
    if (v > x) hi = u;
    else lo = u;
  }
  return 1 - hi;
}

/** Mean-1 gamma draw with the given CV (Marsaglia-Tsang). */
function gammaMean1(rand: () => number, cv: number): number {
  if (cv <= 0) return 1;
  const shape = 1 / (cv * cv);
  const boost = shape < 1 ? rand() ** (1 / shape) : 1;
  const k = shape < 1 ? shape + 1 : shape;
  const d = k - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const u1 = Math.max(rand(), 1e-12);
    const x = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
    const v = (1 + c * x) ** 3;
    if (v <= 0) continue;
    if (Math.log(Math.max(rand(), 1e-300)) < 0.5 * x * x + d - d * v + d * Math.log(v)) return (d * v * boost) / shape;
  }
}

function normalDraw(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
}

interface Side {
  /** The version is the canary (regressions apply). */
  canary: boolean;
  /** Share of this version's traffic on the slow route. */
  routeShare: number;
}

interface RouteCounts {
  requests: number;
  errors: number;
  slow: Record<string, number>;
}

/** One version's counts on one route in one stretch of time. */
function drawRoute(
  s: Scenario,
  rand: () => number,
  requests: number,
  side: Side,
  slowRoute: boolean,
  ctx: { t: number; rateMult: number; shift: number; bounds: readonly number[] },
): RouteCounts {
  const route = s.route;
  let p = s.baseErrorRate * (side.canary ? s.errorEffect : 1) * ctx.rateMult;
  if (slowRoute && route) p *= route.errorFactor * (side.canary ? (route.canaryErrorEffect ?? 1) : 1);
  if (s.incident && ctx.t >= s.incident.from && ctx.t < s.incident.to) p *= s.incident.factor;
  p = Math.min(1, p);
  let errors: number;
  if (s.clump && s.clump > 1) {
    const clusters = poisson(rand, (requests * p) / s.clump);
    errors = 0;
    for (let i = 0; i < clusters; i++)
      errors += 1 + Math.floor(Math.log(Math.max(rand(), 1e-12)) / Math.log(1 - 1 / s.clump));
    errors = Math.min(requests, errors);
  } else errors = binomial(rand, requests, p);
  const scale = slowRoute && route ? route.latencyFactor : 1;
  const slow: Record<string, number> = {};
  for (const b of ctx.bounds) {
    const reg = side.canary ? s.latencyRegression : undefined;
    slow[String(b)] = binomial(rand, requests, tail(s, b, ctx.shift, reg, scale));
  }
  return { requests, errors, slow };
}

function addCounts(a: RouteCounts, b: RouteCounts): RouteCounts {
  const slow: Record<string, number> = { ...a.slow };
  for (const [k, v] of Object.entries(b.slow)) slow[k] = (slow[k] ?? 0) + v;
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, slow };
}

/** Sampled rows: each row kept with probability 1/k, and optionally weighted back up by k. */
function sample(s: Scenario, rand: () => number, c: RouteCounts): RouteCounts {
  const sm = s.sampling;
  if (!sm || sm.interval <= 1) return c;
  const keep = (n: number) => binomial(rand, n, 1 / sm.interval) * (sm.weighted ? sm.interval : 1);
  const slow: Record<string, number> = {};
  for (const [k, v] of Object.entries(c.slow)) slow[k] = keep(v);
  return { requests: keep(c.requests), errors: keep(c.errors), slow };
}

/** One version in one stretch of time: per route, with the per-window drift and jitter drawn once. */
function drawVersion(
  s: Scenario,
  rand: () => number,
  requests: number,
  side: Side,
  t: number,
  bounds: readonly number[],
): Record<string, RouteCounts> {
  const ctx = {
    t,
    rateMult: gammaMean1(rand, s.rateCv ?? 0),
    shift: s.latencyJitter ? s.latencyJitter * normalDraw(rand) : 0,
    bounds,
  };
  if (!s.route) return { "*": drawRoute(s, rand, requests, side, false, ctx) };
  const onSlow = binomial(rand, requests, side.routeShare);
  return {
    "/slow": drawRoute(s, rand, onSlow, side, true, ctx),
    "/fast": drawRoute(s, rand, requests - onSlow, side, false, ctx),
  };
}

function toMetrics(
  versionId: string,
  routes: Record<string, RouteCounts>,
  s: Scenario,
  rand: () => number,
): VersionMetrics {
  const sampled: Record<string, RouteCounts> = {};
  for (const [k, v] of Object.entries(routes)) sampled[k] = sample(s, rand, v);
  const total = Object.values(sampled).reduce(addCounts, { requests: 0, errors: 0, slow: {} });
  const thrown = s.thrownShare ? binomial(rand, total.errors, s.thrownShare) : 0;
  const byRoute: Record<string, RouteMetrics> = {};
  for (const [k, v] of Object.entries(sampled))
    byRoute[k] = { requests: v.requests, errors: v.errors, slowerThan: v.slow };
  return {
    versionId,
    requests: total.requests,
    status: { "2xx": total.requests - total.errors, "3xx": 0, "4xx": 0, "5xx": total.errors },
    exceptions: thrown,
    latency: { p50: 0, p95: 0, p99: 0 },
    slowerThan: total.slow,
    ...(s.route ? { byRoute } : {}),
  };
}

function mergeRoutes(
  a: Record<string, RouteCounts>,
  b: Record<string, RouteCounts> | undefined,
): Record<string, RouteCounts> {
  if (!b) return a;
  const out: Record<string, RouteCounts> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = out[k] ? addCounts(out[k] as RouteCounts, v) : v;
  return out;
}

export interface DrawWindowOptions {
  t: number;
  seconds: number;
  percent: number;
  rps: number;
  bounds: readonly number[];
}

/** The requests in `clusters` clusters of geometric size with mean k (normal approximation for many). */
function clusterRequests(rand: () => number, clusters: number, k: number): number {
  if (clusters > 50) {
    const x = clusters * k + Math.sqrt(clusters * k * (k - 1)) * normalDraw(rand);
    return Math.max(clusters, Math.round(x));
  }
  let n = 0;
  for (let i = 0; i < clusters; i++) n += 1 + Math.floor(Math.log(Math.max(rand(), 1e-12)) / Math.log(1 - 1 / k));
  return n;
}

/** Events in `bursts` bursts of geometric size with mean `k`, each cut at `max` (a batch holds at most max_batch_size). */
function boundedBursts(rand: () => number, bursts: number, k: number, max: number): number {
  let n = 0;
  for (let i = 0; i < bursts; i++) {
    n += Math.min(max, 1 + Math.floor(Math.log(Math.max(rand(), 1e-12)) / Math.log(1 - 1 / k)));
  }
  return n;
}

/** One stretch's requests per version: split request by request, or cluster by cluster under affinity. */
function splitRequests(s: Scenario, rand: () => number, mean: number, percent: number): { nc: number; ns: number } {
  const k = s.affinity ?? 1;
  if (k <= 1) {
    const total = poisson(rand, mean);
    const nc = binomial(rand, total, percent / 100);
    return { nc, ns: total - nc };
  }
  const clusters = poisson(rand, mean / k);
  const cc = binomial(rand, clusters, percent / 100);
  return { nc: clusterRequests(rand, cc, k), ns: clusterRequests(rand, clusters - cc, k) };
}

/** A window's counts, drawn as a body and a last second, so the next window can re-read that second. */
function drawWindowParts(s: Scenario, rand: () => number, o: DrawWindowOptions) {
  const parts = (seconds: number) => {
    const { nc, ns } = splitRequests(s, rand, o.rps * seconds, o.percent);
    const route = s.route;
    return {
      canary: drawVersion(s, rand, nc, { canary: true, routeShare: route?.canaryShare ?? 0 }, o.t, o.bounds),
      stable: drawVersion(s, rand, ns, { canary: false, routeShare: route?.stableShare ?? 0 }, o.t, o.bounds),
      nc,
      ns,
    };
  };
  const overlap = s.overlapSeconds ?? 0;
  if (overlap <= 0) return { body: parts(o.seconds), last: undefined };
  return { body: parts(o.seconds - overlap), last: parts(overlap) };
}

/** DLQ messages (queue "dlq") and Durable Object errors (class "Cart") of one window, by version when attributed. */
function extraSignals(s: Scenario, rand: () => number, nc: number, ns: number): ExtraSignals | undefined {
  if (!s.dlq && !s.durableObjects) return undefined;
  const count = (n: number, o: { perRequest: number; clump?: number; maxBatch?: number }) => {
    const k = o.clump ?? 1;
    if (k <= 1) return poisson(rand, n * o.perRequest);
    const bursts = poisson(rand, (n * o.perRequest) / k);
    return o.maxBatch ? boundedBursts(rand, bursts, k, o.maxBatch) : clusterRequests(rand, bursts, k);
  };
  const draw = (o: { perRequest: number; clump?: number; maxBatch?: number } | undefined) =>
    o ? { c: count(nc, o), s: count(ns, o) } : { c: 0, s: 0 };
  const q = draw(s.dlq);
  const d = draw(s.durableObjects);
  const none: Record<string, number> = {};
  const of = (kind: "c" | "s") => ({
    dlqMessages: s.dlq?.attributed ? { dlq: q[kind] } : none,
    durableObjectErrors: s.durableObjects?.attributed ? { Cart: d[kind] } : none,
  });
  const attributed = s.dlq?.attributed || s.durableObjects?.attributed;
  return {
    dlqMessages: s.dlq ? { dlq: q.c + q.s } : none,
    durableObjectErrors: s.durableObjects ? { Cart: d.c + d.s } : none,
    ...(attributed ? { byVersion: { canary: of("c"), stable: of("s") } } : {}),
  };
}

/**
 * A source of poll windows in time order: each call draws the next window at the given split, with the
 * scenario's imperfections (traffic growth is over `plannedSeconds`).
 *
 * @example
 * const next = windowSource(scenario, seededRandom(1), [10, 11]);
 * const w = next(5, 10); // 10 s at 5 %
 */
export function windowSource(
  s: Scenario,
  rand: () => number,
  bounds: readonly number[],
): (percent: number, seconds: number) => ScenarioWindow {
  const planned = Math.max(
    1,
    s.steps.reduce((a, st) => a + st.seconds, 0),
  );
  let t = 0;
  let carry: ReturnType<typeof drawWindowParts>["last"];
  return (percent, seconds) => {
    const rps = s.rps * (1 + ((s.growth ?? 1) - 1) * Math.min(1, t / planned));
    const w = drawWindowParts(s, rand, { t, seconds, percent, rps, bounds });
    // Inclusive window ends: this window also reads the previous window's last second.
    const canary = mergeRoutes(mergeRoutes(w.body.canary, w.last?.canary), carry?.canary);
    const stable = mergeRoutes(mergeRoutes(w.body.stable, w.last?.stable), carry?.stable);
    carry = w.last;
    t += seconds;
    const extra = extraSignals(s, rand, w.body.nc + (w.last?.nc ?? 0), w.body.ns + (w.last?.ns ?? 0));
    return {
      t,
      percent,
      canary: toMetrics("canary", canary, s, rand),
      stable: toMetrics("stable", stable, s, rand),
      ...(extra ? { extra } : {}),
    };
  };
}

/**
 * The ramp's poll windows: every step's windows in order, with the scenario's imperfections.
 *
 * @example
 * const windows = scenarioWindows(scenario, seededRandom(1), [10, 11, 40, 44]);
 */
export function scenarioWindows(s: Scenario, rand: () => number, bounds: readonly number[]): ScenarioWindow[] {
  const next = windowSource(s, rand, bounds);
  const out: ScenarioWindow[] = [];
  for (const step of s.steps) {
    for (let elapsed = 0; elapsed < step.seconds; elapsed += s.pollSeconds) {
      out.push(next(step.percent, Math.min(s.pollSeconds, step.seconds - elapsed)));
    }
  }
  return out;
}

/** The scenario's Worker before the release: the stable version alone for `seconds`, healthy, no incident. */
function stableOnly(s: Scenario, seconds: number): Scenario {
  const pre: Scenario = { ...s, errorEffect: 1, steps: [{ percent: 0, seconds }], growth: 1 };
  delete pre.incident;
  delete pre.latencyRegression;
  return pre;
}

/**
 * What `plan` reads of the Worker's traffic before the release (`readTraffic`): the stable version alone over
 * `preReleaseSeconds`, its rate and error rate as counted, from the same generator. The ramp is planned from this
 * reading, not from the scenario's true rates: at low traffic the reading is noisy, and so are the planned steps.
 *
 * @example
 * scenarioTraffic(scenario, seededRandom(1)); // { rps: 19.9, errorRate: 0.0052, seconds: 600 }
 */
export function scenarioTraffic(s: Scenario, rand: () => number): Traffic {
  const w = windowSource(stableOnly(s, s.preReleaseSeconds), rand, [])(0, s.preReleaseSeconds);
  const stable = w.stable;
  const requests = stable.requests + w.canary.requests;
  const errorRate = stable.requests > 0 ? Math.max(stable.status["5xx"], stable.exceptions) / stable.requests : 0;
  return { rps: requests / s.preReleaseSeconds, errorRate, seconds: s.preReleaseSeconds };
}

/**
 * What `release` reads before the ramp, from the same generator with the stable version alone: exact quantiles,
 * and the dispersion of its poll-sized windows (30 of them, as pre-release.ts reads).
 */
export function scenarioPreRelease(
  s: Scenario,
  rand: () => number,
  quantiles: readonly LatencyQuantileName[],
): PreRelease {
  const latency = {
    p50: stableQuantile(s, "p50"),
    p90: stableQuantile(s, "p90"),
    p95: 0,
    p99: stableQuantile(s, "p99"),
  };
  const bounds = quantiles.map((q) => latency[q]);
  const drawn = scenarioWindows(stableOnly(s, 30 * s.pollSeconds), rand, bounds);
  const windows = drawn.map((w) => w.stable);
  const latencyDispersion: PreRelease["latencyDispersion"] = {};
  quantiles.forEach((q, i) => {
    const key = String(bounds[i]);
    latencyDispersion[q] = estimateDispersion(
      windows.map((m) => ({ trials: m.requests, hits: m.slowerThan?.[key] ?? 0 })),
    );
  });
  const requests = Math.round(s.rps * s.preReleaseSeconds);
  return {
    requests: s.sampling ? Math.round(requests / (s.sampling.weighted ? 1 : s.sampling.interval)) : requests,
    seconds: s.preReleaseSeconds,
    latency,
    errorDispersion: estimateDispersion(
      windows.map((m) => ({ trials: m.requests, hits: Math.max(m.status["5xx"], m.exceptions) })),
    ),
    latencyDispersion,
    requestDispersion: estimateCountDispersion(windows.map((m) => m.requests)),
    ...(s.dlq ? { dlqPerSecond: s.dlq.perRequest * s.rps } : {}),
    ...(s.durableObjects ? { durableObjectErrorsPerSecond: s.durableObjects.perRequest * s.rps } : {}),
    dlqDispersion: atLeastBursts(
      estimateCountDispersion(drawn.map((w) => w.extra?.dlqMessages.dlq ?? 0)),
      s.dlq?.configuredMaxBatch ?? s.dlq?.maxBatch ?? ANALYSIS_DEFAULTS.queueBatchSize,
    ),
    durableObjectDispersion: estimateCountDispersion(drawn.map((w) => w.extra?.durableObjectErrors.Cart ?? 0)),
  };
}
