import type {
  Deployment,
  FlagState,
  MigrationState,
  Platform,
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
  /** e-value of the error test. */
  e: number;
  /** e-value of the latency test, when run. */
  eLatency?: number;
  /** 1/α: crossing it rolls back. */
  threshold: number;
}

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
  /** Gates and findings, for release reports. */
  gates?: { name: string; outcome: string; detail: string }[];
  findings?: { rule: string; severity: string; file: string; line: number; message: string }[];
}

export interface CollectDashboardOptions {
  platform: Platform;
  workers: string[];
  queues: string[];
  databases: { worker: string; database: string }[];
  /** Width of one chart point. */
  stepSeconds?: number;
  /** How much history to chart. */
  windowSeconds?: number;
  now?: Date;
  analysis?: DashboardData["analysis"];
  flagFailModes?: Record<string, "open" | "closed">;
  title?: string;
}

/** Calls `fn`, and yields `fallback` when the platform cannot answer that part: a dashboard shows what it can. */
async function part<T>(fn: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await fn();
  } catch {
    return fallback;
  }
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
  analysis = { points: [], decisions: [] },
  flagFailModes = {},
  title = "blastwall",
}: CollectDashboardOptions): Promise<DashboardData> {
  const end = Math.floor(now.getTime() / 1000 / stepSeconds) * stepSeconds;
  const steps = Math.max(1, Math.floor(windowSeconds / stepSeconds));
  const dashWorkers: DashboardWorker[] = [];
  const series: VersionSeries[] = [];
  for (const name of workers) {
    const [versions, deployments, current] = await Promise.all([
      part(() => platform.listVersions(name), []),
      part(() => platform.listDeployments(name), []),
      part(() => platform.currentDeployment(name), undefined),
    ]);
    dashWorkers.push({ name, versions, deployments, ...(current ? { current } : {}) });
    const byVersion = new Map<string, VersionSeries>();
    for (let i = steps - 1; i >= 0; i--) {
      const until = end - i * stepSeconds;
      const rows = await part(
        () =>
          platform.metrics({
            worker: name,
            since: new Date((until - stepSeconds) * 1000),
            until: new Date(until * 1000),
          }),
        [],
      );
      for (const m of rows) {
        let s = byVersion.get(m.versionId);
        if (!s) {
          const v = versions.find((x) => x.id === m.versionId);
          s = { worker: name, versionId: m.versionId, label: v?.tag ?? m.versionId.slice(0, 8), points: [] };
          byVersion.set(m.versionId, s);
        }
        const has = m.requests > 0;
        s.points.push({
          t: until,
          requests: m.requests,
          rps: m.requests / stepSeconds,
          errors5xx: m.status["5xx"],
          errorRate: has ? (100 * m.status["5xx"]) / m.requests : null,
          p50: has ? m.latency.p50 : null,
          p95: has ? m.latency.p95 : null,
          p99: has ? m.latency.p99 : null,
        });
      }
    }
    series.push(...byVersion.values());
  }
  const flags = (await part(() => platform.listFlags(), [])).map((f) => {
    const failMode = flagFailModes[f.name];
    return failMode ? { ...f, failMode } : f;
  });
  const queueStates = await Promise.all(
    queues.map((q) => part(() => platform.queueState(q), { queue: q, paused: false })),
  );
  const dbs: DashboardDatabase[] = [];
  for (const d of databases) {
    dbs.push({
      ...d,
      migrations: await part(() => platform.listMigrations(d.worker, d.database), []),
      restorePoints: await part(() => platform.listRestorePoints(d.worker, d.database), []),
    });
  }
  return {
    title,
    generatedAt: now.toISOString(),
    target: platform.target,
    workers: dashWorkers,
    series,
    analysis,
    flags,
    queues: queueStates,
    databases: dbs,
  };
}
