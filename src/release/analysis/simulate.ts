import type { VersionMetrics } from "../../platform/platform.js";

/**
 * Seeded traffic simulation for canary analysis: the unit tests check the false rollback rate with it, and
 * bench/analysis.ts compares methods on the very same streams. Deterministic for a given seed.
 */

export { seededRandom } from "../../core/seeded-random.js";

function normal(rand: () => number): number {
  const u = Math.max(rand(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
}

/** Poisson draw: exact below a mean of 30, normal approximation above. */
export function poisson(rand: () => number, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let k = 0;
    let p = rand();
    while (p > limit) {
      k++;
      p *= rand();
    }
    return k;
  }
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(rand)));
}

/** Binomial draw: exact (geometric gaps) while n·p is small, normal approximation when it is large. */
export function binomial(rand: () => number, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n * p < 40) {
    const logQ = Math.log1p(-p);
    let k = 0;
    let i = Math.floor(Math.log(Math.max(rand(), 1e-300)) / logQ);
    while (i < n) {
      k++;
      i += 1 + Math.floor(Math.log(Math.max(rand(), 1e-300)) / logQ);
    }
    return k;
  }
  const x = Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal(rand));
  return Math.min(n, Math.max(0, x));
}

export interface RampStep {
  /** Canary share, 0-100. */
  percent: number;
  seconds: number;
}

export interface CanaryScenario {
  /** Total requests per second across both versions. */
  rps: number;
  /** Error rate of the stable version. */
  baseErrorRate: number;
  /** Canary error rate ÷ stable error rate (1 = healthy). */
  effect: number;
  steps: readonly RampStep[];
  pollSeconds: number;
}

export interface SimWindow {
  /** Seconds since the ramp began, at the end of this window. */
  t: number;
  percent: number;
  canary: { requests: number; errors: number };
  stable: { requests: number; errors: number };
}

/** The poll windows of one simulated canary, from the first ramp step to the end of the last. */
export function simulateCanary(s: CanaryScenario, rand: () => number): SimWindow[] {
  const out: SimWindow[] = [];
  let t = 0;
  const canaryRate = Math.min(1, s.baseErrorRate * s.effect);
  for (const step of s.steps) {
    for (let elapsed = 0; elapsed < step.seconds; elapsed += s.pollSeconds) {
      const seconds = Math.min(s.pollSeconds, step.seconds - elapsed);
      t += seconds;
      const total = poisson(rand, s.rps * seconds);
      const cReq = binomial(rand, total, step.percent / 100);
      const sReq = total - cReq;
      out.push({
        t,
        percent: step.percent,
        canary: { requests: cReq, errors: binomial(rand, cReq, canaryRate) },
        stable: { requests: sReq, errors: binomial(rand, sReq, s.baseErrorRate) },
      });
    }
  }
  return out;
}

/** A simulated window as the Platform's per-version metrics (errors as 5xx; latency not simulated). */
export function windowMetrics(w: SimWindow): { canary: VersionMetrics; stable: VersionMetrics } {
  const m = (versionId: string, c: { requests: number; errors: number }): VersionMetrics => ({
    versionId,
    requests: c.requests,
    status: { "2xx": c.requests - c.errors, "3xx": 0, "4xx": 0, "5xx": c.errors },
    exceptions: 0,
    latency: { p50: 0, p95: 0, p99: 0 },
  });
  return { canary: m("canary", w.canary), stable: m("stable", w.stable) };
}

/** One-sided two-proportion z statistic (canary worse than stable) on cumulative counts. */
export function twoProportionZ(c: { n: number; x: number }, s: { n: number; x: number }): number {
  if (c.n === 0 || s.n === 0) return 0;
  const p = (c.x + s.x) / (c.n + s.n);
  const se = Math.sqrt(p * (1 - p) * (1 / c.n + 1 / s.n));
  return se > 0 ? (c.x / c.n - s.x / s.n) / se : 0;
}

/**
 * The classical baselines: a z-test looked at once at `horizonSeconds`, or peeked at every poll when no horizon is
 * given. Returns the seconds at which it rejects, or undefined.
 */
export function zTestDetect(windows: readonly SimWindow[], z: number, horizonSeconds?: number): number | undefined {
  const c = { n: 0, x: 0 };
  const s = { n: 0, x: 0 };
  for (const w of windows) {
    c.n += w.canary.requests;
    c.x += w.canary.errors;
    s.n += w.stable.requests;
    s.x += w.stable.errors;
    const look = horizonSeconds === undefined || w.t === horizonSeconds;
    if (look && twoProportionZ(c, s) > z) return w.t;
    if (horizonSeconds !== undefined && w.t >= horizonSeconds) return undefined;
  }
  return undefined;
}
