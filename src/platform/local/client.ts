import { resolve } from "node:path";
import type { ClientResponse } from "hono/client";
import { hc } from "hono/client";
import { BlastwallError } from "../../core/errors.js";
import type {
  AnalysisRecord,
  Deployment,
  DeployOptions,
  ExtraSignals,
  FlagState,
  MetricsIngestion,
  MetricsQuery,
  MigrationState,
  Platform,
  QueueState,
  ReplayOptions,
  ReplayResult,
  RestorePoint,
  RollbackOptions,
  SplitEntry,
  UploadVersionOptions,
  VersionInfo,
  VersionMetrics,
} from "../platform.js";
import { DO_MIGRATION_TAG_ANNOTATION } from "./bundle.js";
import type { ControlApp, ControlError } from "./control.js";
import type { WindowQuery } from "./control-input.js";
import type { EdgeStatus } from "./edge.js";
import { dashboardUrl, type EdgeFile, readEdgeFile } from "./edge-file.js";

export interface LocalPlatformOptions {
  /** The project whose `.blastwall/local/edge.json` names the running edge. */
  projectDir: string;
  /**
   * The command that starts the edge, as the user would type it (the CLI repeats their own options); default
   * `blastwall local up --project <projectDir>`.
   */
  startCommand?: string;
}

/**
 * The local target of the Platform interface: every call goes to the running edge's control API on loopback.
 *
 * @example
 * const platform = createLocalPlatform({ projectDir: "examples/shop" });
 * await platform.deploy("shop-api", [{ versionId: v2.id, percentage: 10 }, { versionId: v1.id, percentage: 90 }]);
 */
export class LocalPlatform implements Platform {
  readonly target = "local" as const;
  readonly projectDir: string;
  private readonly startCommand: string;

  constructor({ projectDir, startCommand }: LocalPlatformOptions) {
    this.projectDir = resolve(projectDir);
    this.startCommand = startCommand ?? `blastwall local up --project ${this.projectDir}`;
  }

  /** The running edge, or a usable error. */
  edge(): EdgeFile {
    const info = readEdgeFile(this.projectDir);
    if (!info) {
      throw new BlastwallError(`the local edge is not running for ${this.projectDir}`, {
        fix: `start it with \`${this.startCommand}\``,
      });
    }
    return info;
  }

  /** The router's base URL (where requests to the deployed Workers go). */
  routerUrl(): string {
    return `http://127.0.0.1:${this.edge().routerPort}`;
  }

  /** The live dashboard's address (see `dashboardUrl` in control.ts). */
  dashboardUrl(options: { withToken?: boolean } = {}): string {
    return dashboardUrl(this.edge(), options);
  }

  /** The typed client of the running edge's control app (see ControlApp in control.ts). */
  private api() {
    const info = this.edge();
    return {
      info,
      v1: hc<ControlApp>(`http://127.0.0.1:${info.controlPort}`, { headers: { authorization: `Bearer ${info.token}` } })
        .v1,
    };
  }

  /** Awaits one call: a usable error when the edge does not answer, the edge's own error when it refuses. */
  private async call<T>(send: (v1: ReturnType<LocalPlatform["api"]>["v1"]) => Promise<ClientResponse<T>>): Promise<T> {
    const { info, v1 } = this.api();
    let res: ClientResponse<T>;
    try {
      res = await send(v1);
    } catch (err) {
      throw new BlastwallError(`the local edge (pid ${info.pid}) does not answer: ${(err as Error).message}`, {
        kind: "failure",
        fix: "restart it: `blastwall local down && blastwall local up`",
        cause: err,
      });
    }
    if (res.ok) return (await res.json()) as T;
    const e = ((await res.json().catch(() => ({}))) ?? {}) as Partial<ControlError>;
    throw new BlastwallError(e.error ?? `control API answered ${res.status}`, {
      kind: e.kind === "input" ? "input" : "failure",
      ...(e.fix ? { fix: e.fix } : {}),
      ...(e.location ? { location: e.location } : {}),
    });
  }

  status(): Promise<EdgeStatus> {
    return this.call((v1) => v1.status.$get());
  }

  uploadVersion(options: UploadVersionOptions): Promise<VersionInfo> {
    const { worker, ...rest } = options;
    return this.call((v1) =>
      v1.workers[":worker"].versions.$post({
        param: { worker },
        json: { ...rest, configPath: resolve(rest.configPath) },
      }),
    );
  }

  listVersions(worker: string): Promise<VersionInfo[]> {
    return this.call((v1) => v1.workers[":worker"].versions.$get({ param: { worker } }));
  }

  deploy(worker: string, split: SplitEntry[], options: DeployOptions = {}): Promise<Deployment> {
    const json = { versions: split, ...(options.message ? { message: options.message } : {}) };
    return this.call((v1) => v1.workers[":worker"].deployments.$post({ param: { worker }, json }));
  }

  async currentDeployment(worker: string): Promise<Deployment | undefined> {
    return (
      (await this.call((v1) => v1.workers[":worker"].deployments.current.$get({ param: { worker } }))) ?? undefined
    );
  }

  listDeployments(worker: string): Promise<Deployment[]> {
    return this.call((v1) => v1.workers[":worker"].deployments.$get({ param: { worker } }));
  }

  rollback(worker: string, options: RollbackOptions = {}): Promise<Deployment> {
    const json = {
      ...(options.to ? { to: options.to } : {}),
      ...(options.message ? { message: options.message } : {}),
    };
    return this.call((v1) => v1.workers[":worker"].rollback.$post({ param: { worker }, json }));
  }

  /** The last DO migration tag of the version serving the biggest share, as frozen at its upload. */
  async durableObjectMigrationTag(worker: string): Promise<string | undefined> {
    const current = await this.currentDeployment(worker);
    const top = [...(current?.versions ?? [])].sort((a, b) => b.percentage - a.percentage)[0];
    if (!top) return undefined;
    const version = (await this.listVersions(worker)).find((v) => v.id === top.versionId);
    return version?.annotations?.[DO_MIGRATION_TAG_ANNOTATION];
  }

  async workerUrl(worker: string): Promise<string> {
    return `${this.routerUrl()}/__worker/${encodeURIComponent(worker)}`;
  }

  metrics(query: MetricsQuery): Promise<VersionMetrics[]> {
    return this.call((v1) =>
      v1.workers[":worker"].metrics.$get({ param: { worker: query.worker }, query: windowQuery(query) }),
    );
  }

  extraSignals(query: MetricsQuery & { queues: string[]; durableObjects: string[] }): Promise<ExtraSignals> {
    const q = { ...windowQuery(query), queues: query.queues.join(","), durableObjects: query.durableObjects.join(",") };
    return this.call((v1) => v1.workers[":worker"].signals.$get({ param: { worker: query.worker }, query: q }));
  }

  /** The edge's metrics model: immediate by default, lagged and sampled under `local up --like-cloudflare`. */
  async metricsIngestion(): Promise<MetricsIngestion> {
    const { metrics } = await this.status();
    return { lagSeconds: metrics.lagSeconds, sampled: metrics.sampleAbovePerSecond !== null, sharedHost: true };
  }

  pauseQueue(queue: string): Promise<QueueState> {
    return this.call((v1) => v1.queues[":queue"].pause.$post({ param: { queue } }));
  }

  resumeQueue(queue: string): Promise<QueueState> {
    return this.call((v1) => v1.queues[":queue"].resume.$post({ param: { queue } }));
  }

  queueState(queue: string): Promise<QueueState> {
    return this.call((v1) => v1.queues[":queue"].$get({ param: { queue } }));
  }

  /** Every queue the edge knows, with backlog and DLQ depth (local only; not part of Platform). */
  listQueues(): Promise<QueueState[]> {
    return this.call((v1) => v1.queues.$get());
  }

  /** Puts JSON messages straight into a queue (local only: drills use it to inject poison messages). */
  sendToQueue(queue: string, bodies: unknown[]): Promise<QueueState> {
    const json = { messages: bodies.map((body) => ({ body })) };
    return this.call((v1) => v1.queues[":queue"].messages.$post({ param: { queue }, json }));
  }

  replayDeadLetters(queue: string, options: ReplayOptions = {}): Promise<ReplayResult> {
    return this.call((v1) => v1.queues[":queue"].dlq.replay.$post({ param: { queue }, json: options }));
  }

  listFlags(): Promise<FlagState[]> {
    return this.call((v1) => v1.flags.$get());
  }

  setFlag(name: string, value: string, actor: string): Promise<FlagState> {
    return this.call((v1) => v1.flags[":name"].$put({ param: { name }, json: { value, actor } }));
  }

  listMigrations(worker: string, database: string): Promise<MigrationState[]> {
    return this.call((v1) => v1.workers[":worker"].d1[":database"].migrations.$get({ param: { worker, database } }));
  }

  applyMigrations(worker: string, database: string, options: { upTo?: string } = {}): Promise<string[]> {
    const json = options.upTo ? { upTo: options.upTo } : {};
    return this.call((v1) =>
      v1.workers[":worker"].d1[":database"].migrations.apply.$post({ param: { worker, database }, json }),
    );
  }

  createRestorePoint(worker: string, database: string, beforeMigration?: string): Promise<RestorePoint> {
    const json = beforeMigration ? { beforeMigration } : {};
    return this.call((v1) =>
      v1.workers[":worker"].d1[":database"]["restore-points"].$post({ param: { worker, database }, json }),
    );
  }

  listRestorePoints(worker: string, database: string): Promise<RestorePoint[]> {
    return this.call((v1) =>
      v1.workers[":worker"].d1[":database"]["restore-points"].$get({ param: { worker, database } }),
    );
  }

  async restore(worker: string, database: string, bookmark: string): Promise<void> {
    await this.call((v1) =>
      v1.workers[":worker"].d1[":database"].restore.$post({ param: { worker, database }, json: { bookmark } }),
    );
  }

  async recordAnalysis(record: AnalysisRecord): Promise<void> {
    const { worker, ...json } = record;
    await this.call((v1) => v1.workers[":worker"].analysis.$post({ param: { worker }, json }));
  }

  listAnalysis(worker: string, since?: Date): Promise<AnalysisRecord[]> {
    const query = since ? { since: since.toISOString() } : {};
    return this.call((v1) => v1.workers[":worker"].analysis.$get({ param: { worker }, query }));
  }
}

export function createLocalPlatform(options: LocalPlatformOptions): LocalPlatform {
  return new LocalPlatform(options);
}

function windowQuery(query: MetricsQuery): WindowQuery {
  return {
    since: query.since.toISOString(),
    ...(query.until ? { until: query.until.toISOString() } : {}),
    ...(query.slowerThanMs?.length ? { slowerThanMs: query.slowerThanMs.join(",") } : {}),
  };
}
