import type { ExtraSignals, MetricsIngestion, MetricsQuery, VersionMetrics } from "../platform.js";
import type { CloudflareContext } from "./context.js";
import {
  DURABLE_OBJECTS_QUERY,
  type DurableObjectsData,
  dlqCount,
  durableObjectErrors,
  INVOCATIONS_QUERY,
  type InvocationsRow,
  mergeVersionMetrics,
  QUEUE_DLQ_QUERY,
  type QueueOpsData,
  type SqlJson,
  slowerThanCounts,
  slowerThanSql,
  summariseInvocations,
  summariseTelemetry,
  telemetrySql,
} from "./metrics.js";
import type { CloudflareQueues } from "./queues.js";
import type { CloudflareVersions } from "./versions.js";

/** The metrics capability: per-version HTTP metrics, and the DLQ and Durable Object signals. */
export interface CloudflareSignals {
  metrics(query: MetricsQuery): Promise<VersionMetrics[]>;
  extraSignals(query: MetricsQuery & { queues: string[]; durableObjects: string[] }): Promise<ExtraSignals>;
  metricsIngestion(): Promise<MetricsIngestion>;
}

export interface CloudflareSignalsOptions {
  telemetryDataset: string;
  /**
   * How late analytics rows become readable (reported by `metricsIngestion`; the release reads windows that end
   * this long before now). Windows are read as asked, never shifted. Default 60 s.
   */
  ingestionLagMs: number;
}

interface Window {
  since: Date;
  until: Date;
  iso: { since: string; until: string };
}

/** The half-open window [since, until) of request time, as asked (the data-time contract: no platform shifts). */
function windowOf(ctx: CloudflareContext, since: Date, until: Date | undefined): Window {
  const u = until ?? new Date(ctx.clock.now());
  return { since, until: u, iso: { since: since.toISOString(), until: u.toISOString() } };
}

async function metrics(
  ctx: CloudflareContext,
  versions: CloudflareVersions,
  o: CloudflareSignalsOptions,
  { worker, since, until, slowerThanMs = [], env }: MetricsQuery,
): Promise<VersionMetrics[]> {
  const current = await versions.currentDeployment(worker, env);
  const ids = current?.versions.map((v) => v.versionId) ?? [];
  if (ids.length === 0) return [];
  const w = windowOf(ctx, since, until);
  const accountTag = await ctx.api.accountId();
  const vars = { accountTag, scriptName: ctx.scriptName(worker, env), ...w.iso };
  const ds = o.telemetryDataset;
  const [gql, tel, ...slower] = await Promise.all([
    ctx.api.graphql<{ viewer: { accounts: { workersInvocationsAdaptive?: InvocationsRow[] }[] } }>(
      INVOCATIONS_QUERY,
      vars,
    ),
    ctx.api.analyticsSql<SqlJson>(telemetrySql(ds, worker, ids, w.since, w.until)),
    ...slowerThanMs.map((b) => ctx.api.analyticsSql<SqlJson>(slowerThanSql(ds, worker, ids, w.since, w.until, b))),
  ]);
  const rows = gql.viewer.accounts.flatMap((a) => a.workersInvocationsAdaptive ?? []);
  const slowerMap = new Map(slowerThanMs.map((b, i) => [b, slowerThanCounts(slower[i] ?? {})]));
  return mergeVersionMetrics(ids, summariseInvocations(rows), summariseTelemetry(tel), slowerMap);
}

async function dlqSignals(ctx: CloudflareContext, queues: CloudflareQueues, names: string[], w: Window, env?: string) {
  const accountTag = await ctx.api.accountId();
  const out: Record<string, number> = {};
  for (const name of names) {
    // A DLQ name counts what its source queues dead-lettered; a source queue name counts its own.
    const sources = queues.sourcesOfDeadLetterQueue(name, env);
    let n = 0;
    for (const source of sources.length > 0 ? sources : [name]) {
      const q = await queues.queueByName(source);
      n += dlqCount(
        await ctx.api.graphql<QueueOpsData>(QUEUE_DLQ_QUERY, { accountTag, queueId: q.queue_id, ...w.iso }),
      );
    }
    out[name] = n;
  }
  return out;
}

async function durableObjectSignals(ctx: CloudflareContext, script: string, classes: string[], w: Window) {
  const out: Record<string, number> = Object.fromEntries(classes.map((c) => [c, 0]));
  if (classes.length === 0) return out;
  const namespaces = await ctx.api.accountPages<{ id: string; script?: string; class?: string }>(
    "/workers/durable_objects/namespaces",
  );
  const wanted = namespaces.filter((n) => n.script === script && n.class && classes.includes(n.class));
  if (wanted.length === 0) return out;
  const data = await ctx.api.graphql<DurableObjectsData>(DURABLE_OBJECTS_QUERY, {
    accountTag: await ctx.api.accountId(),
    namespaceIds: wanted.map((n) => n.id),
    ...w.iso,
  });
  const byNs = durableObjectErrors(data);
  for (const n of wanted) if (n.class) out[n.class] = (out[n.class] ?? 0) + (byNs.get(n.id) ?? 0);
  return out;
}

/**
 * @example
 * const signals = createCloudflareSignals(ctx, versions, queues, { telemetryDataset: "blastwall_telemetry", ingestionLagMs: 60_000 });
 * await signals.metrics({ worker: "shop-api", since: new Date(Date.now() - 300_000) });
 */
export function createCloudflareSignals(
  ctx: CloudflareContext,
  versions: CloudflareVersions,
  queues: CloudflareQueues,
  o: CloudflareSignalsOptions,
): CloudflareSignals {
  return {
    metrics: (query) => metrics(ctx, versions, o, query),
    // Analytics Engine samples at high rates; GraphQL and Analytics Engine rows arrive up to the lag late.
    metricsIngestion: async () => ({ lagSeconds: o.ingestionLagMs / 1000, sampled: true }),
    async extraSignals({ worker, since, until, env, queues: names, durableObjects }) {
      const w = windowOf(ctx, since, until);
      return {
        dlqMessages: await dlqSignals(ctx, queues, names, w, env),
        durableObjectErrors: await durableObjectSignals(ctx, ctx.scriptName(worker, env), durableObjects, w),
      };
    },
  };
}
