import type { ControlDashboard } from "../platform/local/control.js";
import type { Edge } from "../platform/local/edge.js";
import { collectDashboardData, type DashboardData, type DashboardSource } from "./dashboard-data.js";
import { renderDashboardHtml } from "./html.js";

export interface EdgeDashboardOptions {
  edge: Edge;
  /** How much history the charts show. */
  windowSeconds?: number;
  now?: Date;
}

/**
 * The dashboard's data for a running edge, read in process: per-second series straight from the metrics recorder,
 * every Worker with a version, every queue the edge knows and every D1 database the project declares.
 *
 * @example
 * const data = await edgeDashboard({ edge });
 */
export async function edgeDashboard({
  edge,
  windowSeconds = 300,
  now = new Date(),
}: EdgeDashboardOptions): Promise<DashboardData> {
  const source: DashboardSource = {
    target: "local",
    listVersions: async (w) => edge.deployments.list(w),
    listDeployments: async (w) => edge.deployments.history(w),
    currentDeployment: async (w) => edge.deployments.current(w),
    metrics: async (q) => edge.signals.metrics(q),
    listFlags: () => edge.flags.list(),
    queueState: async (q) => edge.queues.state(q),
    listMigrations: (w, d) => edge.databases.migrations(w, d),
    listRestorePoints: (w, d) => edge.databases.restorePoints(w, d),
    listAnalysis: async (w, since) => edge.analysis.list(w, since),
    series: async (w, since, until) => edge.signals.series(w, since, until),
  };
  const status = edge.status("");
  return collectDashboardData({
    platform: source,
    title: `local edge · ${status.projectDir.split(/[/\\]/).pop() ?? ""}`,
    workers: status.workers.map((w) => w.name),
    queues: edge.queues.list().map((q) => q.queue),
    databases: edge.databases.declared(),
    windowSeconds,
    now,
  });
}

/**
 * The local edge's dashboard, as its control server serves it: the live page (which holds no secret: it reads the
 * token from the URL's fragment) and the data behind it.
 *
 * @example
 * createControlServer({ edge, dashboard: createEdgeDashboard(edge) });
 */
export function createEdgeDashboard(edge: Edge): ControlDashboard {
  let page: string | undefined;
  return {
    page: () => {
      page ??= renderDashboardHtml({ mode: "live", api: "/v1", title: "local edge" });
      return page;
    },
    data: (windowSeconds) => edgeDashboard({ edge, windowSeconds }),
  };
}
