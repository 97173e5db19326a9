import type {
  AnalysisRecord,
  Deployment,
  FlagState,
  MigrationState,
  PlatformAnalysis,
  PlatformD1,
  PlatformFlags,
  PlatformQueues,
  PlatformSignals,
  PlatformTarget,
  PlatformVersions,
  QueueState,
  RestorePoint,
  VersionInfo,
} from "../platform/platform.js";

/** One point of a version's time series: a fixed-width window ending at `t` (epoch seconds). */
export interface SeriesPoint {
  t: number;
  requests: number;
  /** Requests per second over the window. */
  rps: number;
  errors5xx: number;
  /** 5xx ÷ requests, in percent; null with no traffic (a gap, not a zero). */
  errorRate: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface VersionSeries {
  worker: string;
  versionId: string;
  label: string;
  points: SeriesPoint[];
}

/** A canary decision with its numbers, as the release engine prints it. */
export interface AnalysisDecision {
  t: number;
  worker: string;
  /** "hold" | "continue" | "promote" | "rollback" | ... */
  verdict: string;
  message: string;
  numbers?: Record<string, number | string>;
}

/** The test statistic against its decision line over time (log scale is applied by the chart). */
export interface AnalysisPoint {
  t: number;
  /** The Worker under analysis (absent in records that predate it: one Worker per release). */
  worker?: string;
  /** e-value of the error test. */
  e: number;
  /** e-value of the latency test, when run. */
  eLatency?: number;
  /** 1/α: crossing it rolls back. */
  threshold: number;
}

/** One second of one version as a platform with per-second series reports it (the local edge does). */
export interface RawSeriesPoint {
  /** Start of the second, ms since epoch. */
  t: number;
  requests: number;
  status: { "2xx": number; "3xx": number; "4xx": number; "5xx": number };
  p50: number;
  p95: number;
  p99: number;
}

/**
 * What the collector reads. Any Platform fits; a source that also has per-second `series` (the local edge) is
 * charted at one-second resolution instead of from `metrics` windows.
 */
export type DashboardSource = PlatformTarget &
  Pick<PlatformVersions, "listVersions" | "listDeployments" | "currentDeployment"> &
  Pick<PlatformSignals, "metrics"> &
  Pick<PlatformFlags, "listFlags"> &
  Pick<PlatformQueues, "queueState"> &
  Pick<PlatformD1, "listMigrations" | "listRestorePoints"> &
  Pick<PlatformAnalysis, "listAnalysis"> & {
    series?(worker: string, since: Date, until: Date): Promise<{ versionId: string; points: RawSeriesPoint[] }[]>;
  };

export interface DashboardFlag extends FlagState {
  failMode?: "open" | "closed";
}

export interface DashboardDatabase {
  worker: string;
  database: string;
  migrations: MigrationState[];
  restorePoints: RestorePoint[];
}

export interface DashboardWorker {
  name: string;
  versions: VersionInfo[];
  current?: Deployment;
  deployments: Deployment[];
}

/** Everything the dashboard and the release report draw. JSON-serialisable. */
export interface DashboardData {
  title: string;
  generatedAt: string;
  target: string;
  workers: DashboardWorker[];
  series: VersionSeries[];
  analysis: { points: AnalysisPoint[]; decisions: AnalysisDecision[] };
  flags: DashboardFlag[];
  queues: QueueState[];
  databases: DashboardDatabase[];
  /** Parts the platform could not answer this time, e.g. "flags: the ops route answered 500". */
  problems?: string[];
  /** Gates and findings, for release reports. */
  gates?: { name: string; outcome: string; detail: string }[];
  findings?: { rule: string; severity: string; file: string; line: number; message: string }[];
}

export interface CollectDashboardOptions {
  platform: DashboardSource;
  workers: string[];
  queues: string[];
  databases: { worker: string; database: string }[];
  /** Width of one chart point when read from `metrics` windows (per-second series are charted as they are). */
  stepSeconds?: number;
  /** How much history to chart. */
  windowSeconds?: number;
  now?: Date;
  /** The analysis to draw; by default what `platform.listAnalysis` holds for the charted window. */
  analysis?: DashboardData["analysis"];
  flagFailModes?: Record<string, "open" | "closed">;
  title?: string;
}

/**
 * Calls `fn`, and yields `fallback` when the platform cannot answer that part: a dashboard shows what it can, and
 * says what it could not read (`problems`) rather than passing an empty list off as the truth.
 */
async function part<T>(problems: string[], what: string, fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
    return fallback;
  }
}

/** What each step of the collector needs: the source, the window, and where unreadable parts are noted. */
interface Collecting {
  platform: DashboardSource;
  problems: string[];
  now: Date;
  windowSeconds: number;
  stepSeconds: number;
}

/**
 * Assembles the dashboard's data from any Platform, so the local edge and a Cloudflare deployment draw alike.
 *
 * @example
 * const data = await collectDashboardData({ platform, workers: ["shop-api"], queues: ["order-events"], databases: [] });
 */
export async function collectDashboardData({
  platform,
  workers,
  queues,
  databases,
  stepSeconds = 5,
  windowSeconds = 300,
  now = new Date(),
  analysis,
  flagFailModes = {},
  title = "blastwall",
}: CollectDashboardOptions): Promise<DashboardData> {
  const c: Collecting = { platform, problems: [], now, windowSeconds, stepSeconds };
  const dashWorkers: DashboardWorker[] = [];
  const series: VersionSeries[] = [];
  for (const name of workers) {
    const worker = await collectWorker(c, name);
    dashWorkers.push(worker);
    series.push(...(await collectSeries(c, worker)));
  }
  const flags = await collectFlags(c, flagFailModes);
  const charted = analysis ?? (await collectAnalysis(c, workers));
  const queueStates = await Promise.all(
    queues.map((q) => part(c.problems, `queue ${q}`, () => platform.queueState(q), { queue: q, paused: false })),
  );
  const dbs = await collectDatabases(c, databases);
  return {
    title,
    generatedAt: now.toISOString(),
    target: platform.target,
    workers: dashWorkers,
    series,
    analysis: charted,
    flags,
    queues: queueStates,
    databases: dbs,
    ...(c.problems.length ? { problems: c.problems } : {}),
  };
}

/** A Worker's versions and deployments. */
async function collectWorker({ platform, problems }: Collecting, name: string): Promise<DashboardWorker> {
  const [versions, deployments, current] = await Promise.all([
    part(problems, `${name} versions`, () => platform.listVersions(name), []),
    part(problems, `${name} deployments`, () => platform.listDeployments(name), []),
    part(problems, `${name} deployment`, () => platform.currentDeployment(name), undefined),
  ]);
  return { name, versions, deployments, ...(current ? { current } : {}) };
}

/** A Worker's per-version series: per second where the source keeps them, else one `metrics` read per step. */
async function collectSeries(c: Collecting, worker: DashboardWorker): Promise<VersionSeries[]> {
  const { platform, problems, now, windowSeconds } = c;
  const name = worker.name;
  const label = (versionId: string) => worker.versions.find((x) => x.id === versionId)?.tag ?? versionId.slice(0, 8);
  const raw = platform.series;
  if (raw) {
    const since = new Date(now.getTime() - windowSeconds * 1000);
    const rows = await part(problems, `${name} series`, () => raw.call(platform, name, since, now), []);
    return rows.map((s) => ({
      worker: name,
      versionId: s.versionId,
      label: label(s.versionId),
      points: perSecond(s.points),
    }));
  }
  return seriesFromMetrics(c, name, label);
}

async function seriesFromMetrics(
  { platform, problems, now, windowSeconds, stepSeconds }: Collecting,
  name: string,
  label: (versionId: string) => string,
): Promise<VersionSeries[]> {
  const end = Math.floor(now.getTime() / 1000 / stepSeconds) * stepSeconds;
  const steps = Math.max(1, Math.floor(windowSeconds / stepSeconds));
  const byVersion = new Map<string, VersionSeries>();
  for (let i = steps - 1; i >= 0; i--) {
    const until = end - i * stepSeconds;
    const window = { worker: name, since: new Date((until - stepSeconds) * 1000), until: new Date(until * 1000) };
    for (const m of await part(problems, `${name} metrics`, () => platform.metrics(window), [])) {
      let s = byVersion.get(m.versionId);
      if (!s) {
        s = { worker: name, versionId: m.versionId, label: label(m.versionId), points: [] };
        byVersion.set(m.versionId, s);
      }
      s.points.push(
        point(until, m.requests, stepSeconds, m.status["5xx"], m.latency.p50, m.latency.p95, m.latency.p99),
      );
    }
  }
  return [...byVersion.values()];
}

async function collectFlags(
  { platform, problems }: Collecting,
  failModes: Record<string, "open" | "closed">,
): Promise<DashboardFlag[]> {
  return (await part(problems, "flags", () => platform.listFlags(), [])).map((f): DashboardFlag => {
    const failMode = failModes[f.name];
    return failMode ? { ...f, failMode } : f;
  });
}

/** The analysis polls the platform recorded for these Workers in the window (none where it records none). */
async function collectAnalysis(
  { platform, problems, now, windowSeconds }: Collecting,
  workers: readonly string[],
): Promise<DashboardData["analysis"]> {
  const listAnalysis = platform.listAnalysis;
  if (!listAnalysis) return { points: [], decisions: [] };
  const since = new Date(now.getTime() - windowSeconds * 1000);
  const polls = await Promise.all(
    workers.map((w) => part(problems, `${w} analysis`, () => listAnalysis.call(platform, w, since), [])),
  );
  return analysisOf(polls.flat());
}

async function collectDatabases(
  { platform, problems }: Collecting,
  databases: CollectDashboardOptions["databases"],
): Promise<DashboardDatabase[]> {
  const dbs: DashboardDatabase[] = [];
  for (const d of databases) {
    const migrations = await part(
      problems,
      `${d.database} migrations`,
      () => platform.listMigrations(d.worker, d.database),
      [],
    );
    const restorePoints = await part(
      problems,
      `${d.database} restore points`,
      () => platform.listRestorePoints(d.worker, d.database),
      [],
    );
    dbs.push({ ...d, migrations, restorePoints });
  }
  return dbs;
}

function point(
  t: number,
  requests: number,
  seconds: number,
  errors5xx: number,
  p50: number,
  p95: number,
  p99: number,
): SeriesPoint {
  const has = requests > 0;
  return {
    t,
    requests,
    rps: requests / seconds,
    errors5xx,
    errorRate: has ? (100 * errors5xx) / requests : null,
    p50: has ? p50 : null,
    p95: has ? p95 : null,
    p99: has ? p99 : null,
  };
}

/** Per-second points in epoch seconds; a second without requests inside the run is a zero rate, not a gap. */
function perSecond(raw: RawSeriesPoint[]): SeriesPoint[] {
  const out: SeriesPoint[] = [];
  let prev: number | undefined;
  for (const r of [...raw].sort((a, b) => a.t - b.t)) {
    const t = Math.floor(r.t / 1000);
    if (prev !== undefined) for (let gap = prev + 1; gap < t; gap++) out.push(point(gap, 0, 1, 0, 0, 0, 0));
    out.push(point(t, r.requests, 1, r.status["5xx"], r.p50, r.p95, r.p99));
    prev = t;
  }
  return out;
}

/** Analysis polls as chart points (those that carry an e-value) and decisions (every poll, with its numbers). */
export function analysisOf(records: AnalysisRecord[]): DashboardData["analysis"] {
  const sorted = [...records].sort((a, b) => a.t - b.t);
  const points: AnalysisPoint[] = [];
  let threshold: number | undefined;
  for (const r of sorted) {
    threshold = r.threshold ?? threshold;
    if (r.e === undefined || threshold === undefined) continue;
    points.push({
      t: r.t,
      worker: r.worker,
      e: r.e,
      threshold,
      ...(r.eLatency !== undefined ? { eLatency: r.eLatency } : {}),
    });
  }
  const decisions: AnalysisDecision[] = sorted.map((r) => ({
    t: r.t,
    worker: r.worker,
    verdict: r.verdict,
    message: r.message,
    ...(r.numbers ? { numbers: r.numbers } : {}),
  }));
  return { points, decisions };
}
