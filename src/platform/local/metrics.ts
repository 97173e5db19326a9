import type { LatencySummary, RouteMetrics, VersionMetrics } from "../platform.js";

/**
 * Latency bucket upper bounds in ms: 5% apart from 0.05 ms to 2 min, then +Infinity. Fine enough that p50/p95/p99
 * and "slower than X ms" counts read from the histogram are within 5% of the exact figure.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = (() => {
  const bounds: number[] = [];
  for (let b = 0.05; b < 120_000; b *= 1.05) bounds.push(Number(b.toPrecision(4)));
  bounds.push(Number.POSITIVE_INFINITY);
  return bounds;
})();

function bucketOf(ms: number): number {
  // Binary search: the first bound >= ms.
  let lo = 0;
  let hi = LATENCY_BOUNDS_MS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((LATENCY_BOUNDS_MS[mid] ?? Number.POSITIVE_INFINITY) >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

interface SecondBucket {
  /** Rows kept (every request, unless sampled). */
  requests: number;
  status: [number, number, number, number];
  exceptions: number;
  /** Sparse: bucket index → count. */
  latency: Map<number, number>;
  /** The estimates when rows are sampled: each row counts its weight (Analytics Engine's `_sample_interval`). */
  weighted?: { requests: number; status: [number, number, number, number] };
  /** Per route label (from the Worker's telemetry), when the Worker labels routes. */
  routes?: Map<string, RouteBucket>;
}

/** One route's rows within a second: requests, failed requests (5xx) and their latency buckets. */
interface RouteBucket {
  requests: number;
  errors: number;
  latency: Map<number, number>;
}

export interface RequestSample {
  worker: string;
  versionId: string;
  status: number;
  latencyMs: number;
  exception: boolean;
  /** ms since epoch; default now. */
  at?: number;
  /** How many requests this sample stands for (Analytics Engine's `_sample_interval`); default 1. */
  weight?: number;
  /** The route label the Worker's telemetry wrote (blob4), if any. */
  route?: string;
}

/** One second of one version, as stored: what `MetricsRecorder.restore` takes back after a restart. */
export interface StoredSecond {
  worker: string;
  versionId: string;
  second: number;
  requests: number;
  status: [number, number, number, number];
  exceptions: number;
  /** Bucket index → count. */
  latency: [number, number][];
  weighted?: { requests: number; status: [number, number, number, number] };
  /** [route, requests, errors, latency bucket index → count]. */
  routes?: [string, number, number, [number, number][]][];
}

export interface MetricsRecorderOptions {
  /** How long per-second buckets are kept. */
  retentionSeconds?: number;
}

/**
 * Per Worker, per version, per second: requests, status classes, exceptions and a latency histogram.
 * Kept in memory for `retentionSeconds` (the canary analysis reads minutes, not days).
 *
 * @example
 * const m = createMetricsRecorder();
 * m.record({ worker: "shop-api", versionId: "v1", status: 200, latencyMs: 3.2, exception: false });
 * m.query("shop-api", new Date(Date.now() - 60_000), new Date(), [50]);
 */
export class MetricsRecorder {
  private readonly data = new Map<string, Map<string, Map<number, SecondBucket>>>();
  private readonly retentionSeconds: number;
  private lastPrune = 0;
  /** Seconds changed since the last `takeDirty`, for persistence. */
  private dirty = new Set<string>();

  constructor({ retentionSeconds = 3600 }: MetricsRecorderOptions = {}) {
    this.retentionSeconds = retentionSeconds;
  }

  private bucket(worker: string, versionId: string, second: number): SecondBucket {
    const versions = this.data.get(worker) ?? new Map<string, Map<number, SecondBucket>>();
    this.data.set(worker, versions);
    const seconds = versions.get(versionId) ?? new Map<number, SecondBucket>();
    versions.set(versionId, seconds);
    let b = seconds.get(second);
    if (!b) {
      b = { requests: 0, status: [0, 0, 0, 0], exceptions: 0, latency: new Map() };
      seconds.set(second, b);
    }
    return b;
  }

  record({ worker, versionId, status, latencyMs, exception, at = Date.now(), weight = 1, route }: RequestSample): void {
    const second = Math.floor(at / 1000);
    const b = this.bucket(worker, versionId, second);
    b.requests++;
    const cls = Math.min(5, Math.max(2, Math.floor(status / 100))) - 2;
    b.status[cls] = (b.status[cls] ?? 0) + 1;
    if (exception) b.exceptions++;
    const idx = bucketOf(latencyMs);
    b.latency.set(idx, (b.latency.get(idx) ?? 0) + 1);
    if (route !== undefined) addToRoute(b, route, cls === 3, idx);
    if (weight !== 1 || b.weighted) {
      if (!b.weighted) {
        // The rows before the first sampled one each stood for one request; this row is added with its weight.
        const before: [number, number, number, number] = [...b.status];
        before[cls] = (before[cls] ?? 0) - 1;
        b.weighted = { requests: b.requests - 1, status: before };
      }
      b.weighted.requests += weight;
      b.weighted.status[cls] = (b.weighted.status[cls] ?? 0) + weight;
    }
    this.dirty.add(JSON.stringify([worker, versionId, second]));
    if (second - this.lastPrune > 60) this.prune(second);
  }

  /** The seconds changed since the last call, as they stand now. */
  takeDirty(): StoredSecond[] {
    const out: StoredSecond[] = [];
    for (const key of this.dirty) {
      const [worker, versionId, second] = JSON.parse(key) as [string, string, number];
      const b = this.data.get(worker)?.get(versionId)?.get(second);
      if (!b) continue;
      const { requests, status, exceptions, weighted } = b;
      out.push({
        worker,
        versionId,
        second,
        requests,
        status,
        exceptions,
        latency: [...b.latency],
        ...(weighted ? { weighted } : {}),
        ...(b.routes ? { routes: [...b.routes].map(([r, x]) => [r, x.requests, x.errors, [...x.latency]]) } : {}),
      });
    }
    this.dirty.clear();
    return out;
  }

  /** Puts stored seconds back (after a restart). */
  restore(rows: readonly StoredSecond[]): void {
    for (const r of rows) {
      const b = this.bucket(r.worker, r.versionId, r.second);
      b.requests = r.requests;
      b.status = r.status;
      b.exceptions = r.exceptions;
      b.latency = new Map(r.latency);
      if (r.weighted) b.weighted = r.weighted;
      if (r.routes) {
        b.routes = new Map(
          r.routes.map(([route, requests, errors, latency]) => [
            route,
            { requests, errors, latency: new Map(latency) },
          ]),
        );
      }
    }
  }

  private prune(nowSecond: number): void {
    this.lastPrune = nowSecond;
    const oldest = nowSecond - this.retentionSeconds;
    for (const versions of this.data.values())
      for (const seconds of versions.values()) for (const s of seconds.keys()) if (s < oldest) seconds.delete(s);
  }

  /** Per-second points per version over [since, until), oldest first (what the dashboard charts). */
  series(worker: string, since: Date, until: Date): { versionId: string; points: SeriesPoint[] }[] {
    const inside = secondsIn(since, until);
    const out: { versionId: string; points: SeriesPoint[] }[] = [];
    for (const [versionId, seconds] of this.data.get(worker) ?? []) {
      const points: SeriesPoint[] = [];
      for (const [s, b] of [...seconds].sort((x, y) => x[0] - y[0])) {
        if (!inside(s)) continue;
        const counts = new Array<number>(LATENCY_BOUNDS_MS.length).fill(0);
        for (const [i, c] of b.latency) counts[i] = c;
        const { p50, p95, p99 } = summarize(counts);
        const [s2, s3, s4, s5] = b.status;
        points.push({
          t: s * 1000,
          requests: b.requests,
          status: { "2xx": s2, "3xx": s3, "4xx": s4, "5xx": s5 },
          exceptions: b.exceptions,
          p50,
          p95,
          p99,
        });
      }
      if (points.length > 0) out.push({ versionId, points });
    }
    return out;
  }

  /**
   * Sums the half-open window [since, until) per version: the seconds that start inside it, so back-to-back windows
   * read every second exactly once (exact for windows on whole seconds). Versions with no requests are left out.
   */
  query(worker: string, since: Date, until: Date, slowerThanMs: readonly number[] = []): VersionMetrics[] {
    const inside = secondsIn(since, until);
    const out: VersionMetrics[] = [];
    for (const [versionId, seconds] of this.data.get(worker) ?? []) {
      const counts = new Array<number>(LATENCY_BOUNDS_MS.length).fill(0);
      const status: [number, number, number, number] = [0, 0, 0, 0];
      let requests = 0;
      let exceptions = 0;
      let sampled = false;
      const weighted = { requests: 0, status: [0, 0, 0, 0] };
      const routes = new Map<string, RouteSum>();
      for (const [s, b] of seconds) {
        if (!inside(s)) continue;
        addRoutes(routes, b);
        sampled ||= b.weighted !== undefined;
        const w = b.weighted ?? b;
        weighted.requests += w.requests;
        for (let i = 0; i < 4; i++) weighted.status[i] = (weighted.status[i] ?? 0) + (w.status[i] ?? 0);
        requests += b.requests;
        exceptions += b.exceptions;
        for (let i = 0; i < 4; i++) status[i] = (status[i] ?? 0) + (b.status[i] ?? 0);
        for (const [i, c] of b.latency) counts[i] = (counts[i] ?? 0) + c;
      }
      if (requests === 0) continue;
      const slowerThan: Record<string, number> = {};
      for (const bound of slowerThanMs) slowerThan[String(bound)] = countAbove(counts, bound);
      out.push({
        versionId,
        requests,
        status: { "2xx": status[0], "3xx": status[1], "4xx": status[2], "5xx": status[3] },
        exceptions,
        latency: summarize(counts),
        slowerThan,
        histogram: { boundsMs: [...LATENCY_BOUNDS_MS], counts },
        ...(sampled ? { weighted: { requests: weighted.requests, status: statusOf(weighted.status) } } : {}),
        ...(routes.size > 0 ? { byRoute: byRouteOf(routes, slowerThanMs) } : {}),
      });
    }
    return out;
  }
}

function addToRoute(b: SecondBucket, route: string, failed: boolean, latencyIndex: number): void {
  b.routes ??= new Map();
  const r = b.routes.get(route) ?? { requests: 0, errors: 0, latency: new Map<number, number>() };
  b.routes.set(route, r);
  r.requests++;
  if (failed) r.errors++;
  r.latency.set(latencyIndex, (r.latency.get(latencyIndex) ?? 0) + 1);
}

/** A route's rows summed over a window, with a dense latency histogram. */
interface RouteSum {
  requests: number;
  errors: number;
  counts: number[];
}

function addRoutes(into: Map<string, RouteSum>, b: SecondBucket): void {
  for (const [route, r] of b.routes ?? []) {
    const sum = into.get(route) ?? {
      requests: 0,
      errors: 0,
      counts: new Array<number>(LATENCY_BOUNDS_MS.length).fill(0),
    };
    into.set(route, sum);
    sum.requests += r.requests;
    sum.errors += r.errors;
    for (const [i, c] of r.latency) sum.counts[i] = (sum.counts[i] ?? 0) + c;
  }
}

function byRouteOf(routes: Map<string, RouteSum>, slowerThanMs: readonly number[]): Record<string, RouteMetrics> {
  const out: Record<string, RouteMetrics> = {};
  for (const [route, r] of routes) {
    const slowerThan = Object.fromEntries(slowerThanMs.map((bound) => [String(bound), countAbove(r.counts, bound)]));
    out[route] = { requests: r.requests, errors: r.errors, slowerThan };
  }
  return out;
}

/** Whether a stored second (epoch seconds) starts inside the half-open window [since, until). */
function secondsIn(since: Date, until: Date): (second: number) => boolean {
  const from = since.getTime();
  const to = until.getTime();
  return (second) => second * 1000 >= from && second * 1000 < to;
}

function statusOf([a = 0, b = 0, c = 0, d = 0]: number[]): VersionMetrics["status"] {
  return { "2xx": a, "3xx": b, "4xx": c, "5xx": d };
}

/** One second of one version, for charts. */
export interface SeriesPoint {
  /** Start of the second, ms since epoch. */
  t: number;
  requests: number;
  status: { "2xx": number; "3xx": number; "4xx": number; "5xx": number };
  exceptions: number;
  p50: number;
  p95: number;
  p99: number;
}

export function createMetricsRecorder(options: MetricsRecorderOptions = {}): MetricsRecorder {
  return new MetricsRecorder(options);
}

function lowerBound(i: number): number {
  return i === 0 ? 0 : (LATENCY_BOUNDS_MS[i - 1] ?? 0);
}

/** Requests slower than `bound`, interpolating linearly inside the bucket that straddles it. */
export function countAbove(counts: readonly number[], bound: number): number {
  let n = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] ?? 0;
    if (c === 0) continue;
    const lo = lowerBound(i);
    const hi = LATENCY_BOUNDS_MS[i] ?? Number.POSITIVE_INFINITY;
    if (lo >= bound) n += c;
    else if (hi > bound) n += Number.isFinite(hi) ? Math.round((c * (hi - bound)) / (hi - lo)) : c;
  }
  return n;
}

/** p50/p90/p95/p99 from the histogram: the upper bound of the bucket holding the nearest-rank sample. */
export function summarize(counts: readonly number[]): LatencySummary {
  const total = counts.reduce((s, c) => s + c, 0);
  const at = (q: number): number => {
    if (total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i] ?? 0;
      if (seen >= rank) {
        const hi = LATENCY_BOUNDS_MS[i] ?? Number.POSITIVE_INFINITY;
        return Number.isFinite(hi) ? hi : lowerBound(i);
      }
    }
    return 0;
  };
  return { p50: at(0.5), p90: at(0.9), p95: at(0.95), p99: at(0.99) };
}
