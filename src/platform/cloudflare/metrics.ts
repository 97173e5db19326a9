import { DEFAULT_LATENCY_BUCKETS_MS, OVERFLOW_BUCKET_MS, TELEMETRY_COLUMNS } from "../../runtime/telemetry/layout.js";
import type { LatencySummary, RouteMetrics, VersionMetrics } from "../platform.js";

/**
 * Per-version metrics from two sources, both keyed by the Worker version id:
 * - GraphQL `workersInvocationsAdaptive` filtered by `scriptVersion`: exceptions (status `scriptThrewException`),
 *   CPU and wall-time quantiles. Its `status` is the invocation outcome, not the HTTP status.
 * - The Analytics Engine SQL API over the dataset `blastwall/telemetry` writes: HTTP status classes and the
 *   latency histogram, from which p50/p95/p99 and "slower than" counts are derived.
 */

export interface InvocationsRow {
  dimensions: { scriptName?: string; scriptVersion?: string; status?: string };
  sum: { requests?: number; errors?: number; subrequests?: number };
  quantiles?: {
    cpuTimeP50?: number;
    cpuTimeP99?: number;
    wallTimeP50?: number;
    wallTimeP90?: number;
    wallTimeP99?: number;
  };
}

export interface InvocationsByVersion {
  requests: number;
  /** Every failed invocation: thrown, out of resources, internal error. */
  exceptions: number;
  /** Failures the Worker's own code could not record (out of resources, internal error): not in telemetry's 5xx. */
  unrecorded: number;
  /** Microseconds, as GraphQL reports them; request-weighted over status groups. */
  cpuTimeP50: number;
  cpuTimeP99: number;
  wallTimeP50: number;
  wallTimeP90: number;
  wallTimeP99: number;
}

/** Grouped by the `scriptVersion` dimension (one row per version and status); rows of other versions are dropped. */
export const INVOCATIONS_QUERY = `query BlastwallInvocations($accountTag: string!, $scriptName: string!, $since: Time!, $until: Time!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      workersInvocationsAdaptive(
        limit: 10000
        filter: { scriptName: $scriptName, datetime_geq: $since, datetime_lt: $until }
      ) {
        dimensions { scriptName scriptVersion status }
        sum { requests errors subrequests }
        quantiles { cpuTimeP50 cpuTimeP99 wallTimeP50 wallTimeP90 wallTimeP99 }
      }
    }
  }
}`;

/** Statuses GraphQL reports when the Worker itself failed (threw or ran out of resources). */
const EXCEPTION_STATUSES = new Set(["scriptThrewException", "exceededResources", "internalError"]);
/** Failures the telemetry wrapper never sees: the isolate was stopped before the wrapper could write a 500. */
const UNRECORDED_STATUSES = new Set(["exceededResources", "internalError"]);

export function summariseInvocations(rows: readonly InvocationsRow[]): Map<string, InvocationsByVersion> {
  const acc = new Map<string, InvocationsByVersion & { weight: number }>();
  for (const row of rows) {
    const id = row.dimensions.scriptVersion;
    if (!id) continue;
    const n = row.sum.requests ?? 0;
    const cur = acc.get(id) ?? {
      requests: 0,
      exceptions: 0,
      unrecorded: 0,
      cpuTimeP50: 0,
      cpuTimeP99: 0,
      wallTimeP50: 0,
      wallTimeP90: 0,
      wallTimeP99: 0,
      weight: 0,
    };
    cur.requests += n;
    if (EXCEPTION_STATUSES.has(row.dimensions.status ?? "")) cur.exceptions += n;
    if (UNRECORDED_STATUSES.has(row.dimensions.status ?? "")) cur.unrecorded += n;
    const q = row.quantiles ?? {};
    // Quantiles of groups cannot be merged exactly; a request-weighted mean is the honest approximation.
    cur.cpuTimeP50 += (q.cpuTimeP50 ?? 0) * n;
    cur.cpuTimeP99 += (q.cpuTimeP99 ?? 0) * n;
    cur.wallTimeP50 += (q.wallTimeP50 ?? 0) * n;
    cur.wallTimeP90 += (q.wallTimeP90 ?? 0) * n;
    cur.wallTimeP99 += (q.wallTimeP99 ?? 0) * n;
    cur.weight += n;
    acc.set(id, cur);
  }
  const out = new Map<string, InvocationsByVersion>();
  for (const [id, { weight, ...v }] of acc) {
    const w = weight || 1;
    out.set(id, {
      ...v,
      cpuTimeP50: v.cpuTimeP50 / w,
      cpuTimeP99: v.cpuTimeP99 / w,
      wallTimeP50: v.wallTimeP50 / w,
      wallTimeP90: v.wallTimeP90 / w,
      wallTimeP99: v.wallTimeP99 / w,
    });
  }
  return out;
}

/** Single-quoted SQL string literal; version ids and names are plain, but nothing user-given goes in raw. */
export function sqlString(s: string): string {
  return `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/** Analytics Engine dataset names are identifiers: letters, digits, underscores. */
export function assertDatasetName(dataset: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(dataset)) {
    throw new Error(`invalid Analytics Engine dataset name "${dataset}": use letters, digits and underscores`);
  }
  return dataset;
}

const C = TELEMETRY_COLUMNS;

/**
 * Half-open `[since, until)` in whole seconds: back-to-back windows share no row and drop none. The caller shifts
 * both ends back by the ingestion lag, so rows that Analytics Engine makes readable late still land in a window.
 */
function windowClause(worker: string, versions: readonly string[], since: Date, until: Date): string {
  const s = Math.floor(since.getTime() / 1000);
  const u = Math.floor(until.getTime() / 1000);
  return [
    `${C.worker} = ${sqlString(worker)}`,
    `${C.versionId} IN (${versions.map(sqlString).join(", ")})`,
    `timestamp >= toDateTime(${s})`,
    `timestamp < toDateTime(${u})`,
  ].join(" AND ");
}

/**
 * Status class × latency bucket × route label per version: `count()` is the raw sampled rows (what a statistical
 * test may use: each row is one observed request), `SUM(_sample_interval)` the estimated total (for display only).
 */
export function telemetrySql(dataset: string, worker: string, versions: readonly string[], since: Date, until: Date) {
  return `SELECT ${C.versionId} AS version_id, ${C.statusClass} AS status_class, ${C.bucketMs} AS bucket_ms, ${C.route} AS route, count() AS rows, SUM(_sample_interval) AS n FROM ${assertDatasetName(dataset)} WHERE ${windowClause(worker, versions, since, until)} GROUP BY version_id, status_class, bucket_ms, route FORMAT JSON`;
}

/** Requests slower than `boundMs`, per version and route label, from the exact latency column. */
export function slowerThanSql(
  dataset: string,
  worker: string,
  versions: readonly string[],
  since: Date,
  until: Date,
  boundMs: number,
) {
  if (!Number.isFinite(boundMs) || boundMs < 0)
    throw new Error(`latency bound must be a finite number ≥ 0: ${boundMs}`);
  return `SELECT ${C.versionId} AS version_id, ${C.route} AS route, count() AS rows, SUM(_sample_interval) AS n FROM ${assertDatasetName(dataset)} WHERE ${windowClause(worker, versions, since, until)} AND ${C.latencyMs} > ${boundMs} GROUP BY version_id, route FORMAT JSON`;
}

/** The `FORMAT JSON` document of the SQL API. ClickHouse quotes 64-bit integers, so counts may be strings. */
export interface SqlJson {
  meta?: { name: string; type: string }[];
  data?: Record<string, unknown>[];
  rows?: number;
}

function num(v: unknown): number {
  const n = typeof v === "string" ? Number(v) : typeof v === "number" ? v : Number.NaN;
  return Number.isFinite(n) ? n : 0;
}

type StatusCounts = { "2xx": number; "3xx": number; "4xx": number; "5xx": number };

export interface TelemetryByVersion {
  /** Raw sampled rows: one per observed request. */
  status: StatusCounts;
  requests: number;
  histogram: { boundsMs: number[]; counts: number[] };
  /** Estimated totals (`SUM(_sample_interval)`), for display. */
  weighted: { requests: number; status: StatusCounts };
  /** Raw rows and 5xx rows by the route label telemetry wrote ("" where the Worker configured no routes). */
  routes: Map<string, { requests: number; errors: number }>;
}

const zeroStatus = (): StatusCounts => ({ "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 });

/** A row's raw count: `rows` (count()), or, from an older query shape, `n`. */
function rowsOf(row: Record<string, unknown>): number {
  return row.rows === undefined ? num(row.n) : num(row.rows);
}

export function summariseTelemetry(doc: SqlJson): Map<string, TelemetryByVersion> {
  const raw = new Map<
    string,
    Omit<TelemetryByVersion, "requests" | "histogram" | "weighted"> & {
      weighted: StatusCounts;
      total: number;
      buckets: Map<number, number>;
    }
  >();
  for (const row of doc.data ?? []) {
    const id = String(row.version_id ?? "");
    if (!id) continue;
    const cur = raw.get(id) ?? {
      status: zeroStatus(),
      weighted: zeroStatus(),
      total: 0,
      buckets: new Map(),
      routes: new Map(),
    };
    const n = rowsOf(row);
    const w = row.n === undefined ? n : num(row.n);
    const cls = String(row.status_class ?? "");
    // 1xx responses are informational; they are neither errors nor successes for a canary.
    if (cls === "2xx" || cls === "3xx" || cls === "4xx" || cls === "5xx") {
      cur.status[cls] += n;
      cur.weighted[cls] += w;
    }
    cur.total += w;
    const bound = num(row.bucket_ms) >= OVERFLOW_BUCKET_MS ? Number.POSITIVE_INFINITY : num(row.bucket_ms);
    cur.buckets.set(bound, (cur.buckets.get(bound) ?? 0) + n);
    const route = cur.routes.get(String(row.route ?? "")) ?? { requests: 0, errors: 0 };
    route.requests += n;
    if (cls === "5xx") route.errors += n;
    cur.routes.set(String(row.route ?? ""), route);
    raw.set(id, cur);
  }
  const out = new Map<string, TelemetryByVersion>();
  for (const [id, { status, weighted, total, buckets, routes }] of raw) {
    const boundsMs = [...buckets.keys()].sort((a, b) => a - b);
    if (boundsMs.at(-1) !== Number.POSITIVE_INFINITY) boundsMs.push(Number.POSITIVE_INFINITY);
    const counts = boundsMs.map((b) => buckets.get(b) ?? 0);
    out.set(id, {
      status,
      requests: counts.reduce((t, c) => t + c, 0),
      histogram: { boundsMs, counts },
      weighted: { requests: total, status: weighted },
      routes,
    });
  }
  return out;
}

/**
 * A quantile from a bucket histogram: the upper bound of the bucket where the cumulative count reaches q.
 * Upper bounds overstate latency by at most one bucket width, which errs on the side of holding a canary.
 * The overflow bucket has no upper bound; it reports the largest bound known ("at least this slow").
 */
export function histogramQuantile({ boundsMs, counts }: { boundsMs: number[]; counts: number[] }, q: number): number {
  const total = counts.reduce((t, c) => t + c, 0);
  if (total === 0) return 0;
  const target = q * total;
  let seen = 0;
  const ceiling = Math.max(DEFAULT_LATENCY_BUCKETS_MS.at(-1) ?? 0, ...boundsMs.filter((b) => Number.isFinite(b)));
  for (let i = 0; i < counts.length; i++) {
    seen += counts[i] ?? 0;
    if (seen >= target) {
      const b = boundsMs[i] ?? 0;
      return Number.isFinite(b) ? b : ceiling;
    }
  }
  return ceiling;
}

/** Slower-than counts of one bound: per version, and per version and route label. */
export interface SlowerCounts {
  byVersion: Map<string, number>;
  byRoute: Map<string, Map<string, number>>;
}

export function slowerThanCounts(doc: SqlJson): SlowerCounts {
  const out: SlowerCounts = { byVersion: new Map(), byRoute: new Map() };
  for (const row of doc.data ?? []) {
    const id = String(row.version_id ?? "");
    const n = rowsOf(row);
    out.byVersion.set(id, (out.byVersion.get(id) ?? 0) + n);
    const routes = out.byRoute.get(id) ?? new Map<string, number>();
    routes.set(String(row.route ?? ""), (routes.get(String(row.route ?? "")) ?? 0) + n);
    out.byRoute.set(id, routes);
  }
  return out;
}

/** Latency from the histogram, or, without telemetry, GraphQL wall time (µs → ms; no p95 in the dataset). */
function latencyOf(inv: InvocationsByVersion | undefined, tel: TelemetryByVersion | undefined): LatencySummary {
  if (tel) {
    return {
      p50: histogramQuantile(tel.histogram, 0.5),
      p90: histogramQuantile(tel.histogram, 0.9),
      p95: histogramQuantile(tel.histogram, 0.95),
      p99: histogramQuantile(tel.histogram, 0.99),
    };
  }
  const p99 = (inv?.wallTimeP99 ?? 0) / 1000;
  return { p50: (inv?.wallTimeP50 ?? 0) / 1000, p90: (inv?.wallTimeP90 ?? 0) / 1000, p95: p99, p99 };
}

/**
 * Counts by the route label telemetry wrote, when it wrote one (`routes` configured): requests and 5xx rows per
 * route, and the slower-than counts per route. Failures the Worker could not record (out of resources) carry no
 * route, so a route's errors are its 5xx rows only.
 */
function routesOf(
  versionId: string,
  tel: TelemetryByVersion,
  slower: Map<number, SlowerCounts>,
): Record<string, RouteMetrics> | undefined {
  if (![...tel.routes.keys()].some((r) => r !== "")) return undefined;
  return Object.fromEntries(
    [...tel.routes].map(([route, { requests, errors }]) => {
      const m: RouteMetrics = { requests, errors };
      if (slower.size > 0) {
        m.slowerThan = Object.fromEntries(
          [...slower].map(([b, c]) => [String(b), c.byRoute.get(versionId)?.get(route) ?? 0]),
        );
      }
      return [route, m];
    }),
  );
}

/**
 * Joins both sources into the Platform's VersionMetrics, one per version asked for. Each failed request counts once
 * in `status["5xx"]`: telemetry records a thrown request as a 500, and the failures the Worker could not record (out
 * of resources, internal error) are added from GraphQL. `exceptions` counts every failed invocation, all of them
 * already inside 5xx, so errors are max(5xx, exceptions), never their sum. Without telemetry, `statusUnknown` says
 * the 5xx count is not zero but unknown.
 */
export function mergeVersionMetrics(
  versions: readonly string[],
  invocations: Map<string, InvocationsByVersion>,
  telemetry: Map<string, TelemetryByVersion>,
  slower: Map<number, SlowerCounts>,
): VersionMetrics[] {
  return versions.map((versionId) => {
    const inv = invocations.get(versionId);
    const tel = telemetry.get(versionId);
    const m: VersionMetrics = {
      versionId,
      requests: tel?.requests ?? inv?.requests ?? 0,
      status: tel ? { ...tel.status, "5xx": tel.status["5xx"] + (inv?.unrecorded ?? 0) } : zeroStatus(),
      exceptions: inv?.exceptions ?? 0,
      latency: latencyOf(inv, tel),
    };
    if (tel) {
      m.histogram = tel.histogram;
      m.weighted = tel.weighted;
      const byRoute = routesOf(versionId, tel, slower);
      if (byRoute) m.byRoute = byRoute;
    } else if ((inv?.requests ?? 0) > 0) m.statusUnknown = true;
    if (slower.size > 0) {
      m.slowerThan = Object.fromEntries(
        [...slower].map(([bound, counts]) => [String(bound), counts.byVersion.get(versionId) ?? 0]),
      );
    }
    return m;
  });
}

export const QUEUE_DLQ_QUERY = `query BlastwallQueueDlq($accountTag: string!, $queueId: string!, $since: Time!, $until: Time!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      queueMessageOperationsAdaptiveGroups(
        limit: 10000
        filter: { queueId: $queueId, actionType: "DeleteMessage", outcome: "dlq", datetime_geq: $since, datetime_lt: $until }
      ) {
        count
        dimensions { queueId actionType outcome }
      }
    }
  }
}`;

export interface QueueOpsData {
  viewer: {
    accounts: { queueMessageOperationsAdaptiveGroups?: { count?: number; dimensions?: { outcome?: string } }[] }[];
  };
}

/** Messages dead-lettered in the window: DeleteMessage operations whose outcome is `dlq`. */
export function dlqCount(data: QueueOpsData): number {
  let n = 0;
  for (const acct of data.viewer.accounts) {
    for (const g of acct.queueMessageOperationsAdaptiveGroups ?? []) {
      if ((g.dimensions?.outcome ?? "dlq") === "dlq") n += g.count ?? 0;
    }
  }
  return n;
}

export const DURABLE_OBJECTS_QUERY = `query BlastwallDurableObjects($accountTag: string!, $namespaceIds: [string!], $since: Time!, $until: Time!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      durableObjectsInvocationsAdaptiveGroups(
        limit: 10000
        filter: { namespaceId_in: $namespaceIds, datetime_geq: $since, datetime_lt: $until }
      ) {
        sum { requests errors }
        dimensions { namespaceId status }
      }
    }
  }
}`;

export interface DurableObjectsData {
  viewer: {
    accounts: {
      durableObjectsInvocationsAdaptiveGroups?: {
        sum?: { requests?: number; errors?: number };
        dimensions?: { namespaceId?: string; status?: string };
      }[];
    }[];
  };
}

/** Errors (which include overloads, the DO 503s) per namespace id. */
export function durableObjectErrors(data: DurableObjectsData): Map<string, number> {
  const out = new Map<string, number>();
  for (const acct of data.viewer.accounts) {
    for (const g of acct.durableObjectsInvocationsAdaptiveGroups ?? []) {
      const id = g.dimensions?.namespaceId;
      if (!id) continue;
      out.set(id, (out.get(id) ?? 0) + (g.sum?.errors ?? 0));
    }
  }
  return out;
}

/** The newest backlog sample of one queue (average messages waiting in that minute). */
export const QUEUE_BACKLOG_QUERY = `query BlastwallQueueBacklog($accountTag: string!, $queueId: string!, $since: Time!, $until: Time!) {
  viewer {
    accounts(filter: { accountTag: $accountTag }) {
      queueBacklogAdaptiveGroups(
        limit: 1
        filter: { queueId: $queueId, datetime_geq: $since, datetime_leq: $until }
        orderBy: [datetime_DESC]
      ) {
        avg { messages }
        dimensions { datetime }
      }
    }
  }
}`;

export interface QueueBacklogData {
  viewer: { accounts: { queueBacklogAdaptiveGroups?: { avg?: { messages?: number } }[] }[] };
}

/** Messages waiting, or undefined when the window has no sample (the platform cannot tell). */
export function backlogOf(data: QueueBacklogData): number | undefined {
  const row = data.viewer.accounts[0]?.queueBacklogAdaptiveGroups?.[0];
  const m = row?.avg?.messages;
  return typeof m === "number" ? Math.round(m) : undefined;
}
