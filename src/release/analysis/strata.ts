import type { RouteMetrics, VersionMetrics } from "../../platform/platform.js";

/**
 * The strata a poll window is compared in: each route both versions served, when the platform splits its counts
 * by route; else the whole Worker as one stratum. Comparing within a route means a canary that happens to serve
 * more of a slow, error-prone route is not mistaken for a worse one.
 */

export interface StratumCounts {
  requests: number;
  errors: number;
  /** Requests slower than `boundMs`, or undefined when the platform cannot tell. */
  slower(boundMs: number): number | undefined;
}

export interface Stratum {
  name: string;
  canary: StratumCounts;
  stable: StratumCounts;
}

/** The stratum name used when the platform has no route label. */
export const WHOLE_WORKER = "*";

/**
 * Errors of a version: each failed request once. Telemetry records a thrown handler as a 500 and the platforms
 * count the exception as well, so the larger of the two is the count of failed requests, never their sum.
 */
export function errorsOf(m: VersionMetrics): number {
  return Math.max(m.status["5xx"], m.exceptions);
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

function whole(m: VersionMetrics): StratumCounts {
  return { requests: m.requests, errors: errorsOf(m), slower: (b) => slowerThan(m, b) };
}

function route(r: RouteMetrics): StratumCounts {
  return { requests: r.requests, errors: r.errors, slower: (b) => r.slowerThan?.[String(b)] };
}

/**
 * Pairs the two versions' counts by stratum. Routes only one version served in the window carry no comparison
 * and are left out.
 *
 * @example
 * strataOf(canary, stable).map((s) => s.name); // ["/orders", "/cart"] or ["*"]
 */
export function strataOf(canary: VersionMetrics, stable: VersionMetrics): Stratum[] {
  const cr = canary.byRoute;
  const sr = stable.byRoute;
  if (!cr || !sr || Object.keys(cr).length === 0 || Object.keys(sr).length === 0) {
    return [{ name: WHOLE_WORKER, canary: whole(canary), stable: whole(stable) }];
  }
  const out: Stratum[] = [];
  for (const [name, c] of Object.entries(cr)) {
    const s = sr[name];
    if (s && c.requests > 0 && s.requests > 0) out.push({ name, canary: route(c), stable: route(s) });
  }
  return out;
}
