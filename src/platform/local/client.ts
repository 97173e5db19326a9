import { resolve } from "node:path";
import { BlastwallError, type SourceLocation } from "../../core/errors.js";
import type {
  AnalysisRecord,
  Deployment,
  DeployOptions,
  ExtraSignals,
  FlagState,
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
import { CONTROL_PREFIX, dashboardUrl } from "./control.js";
import { type EdgeFile, readEdgeFile } from "./daemon.js";
import type { EdgeStatus } from "./edge.js";

export interface LocalPlatformOptions {
  /** The project whose `.blastwall/local/edge.json` names the running edge. */
  projectDir: string;
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

  constructor({ projectDir }: LocalPlatformOptions) {
    this.projectDir = resolve(projectDir);
  }

  /** The running edge, or a usable error. */
  edge(): EdgeFile {
    const info = readEdgeFile(this.projectDir);
    if (!info) {
      throw new BlastwallError(`the local edge is not running for ${this.projectDir}`, {
        fix: `start it with \`blastwall local up --project ${this.projectDir}\``,
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

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const info = this.edge();
    let res: Response;
    try {
      res = await fetch(`http://127.0.0.1:${info.controlPort}${CONTROL_PREFIX}${path}`, {
        method,
        headers: { authorization: `Bearer ${info.token}`, "content-type": "application/json" },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new BlastwallError(`the local edge (pid ${info.pid}) does not answer: ${(err as Error).message}`, {
        kind: "failure",
        fix: "restart it: `blastwall local down && blastwall local up`",
        cause: err,
      });
    }
    const data = (await res.json()) as unknown;
    if (!res.ok) {
      const e = (data ?? {}) as { error?: string; fix?: string; kind?: string; location?: SourceLocation };
      throw new BlastwallError(e.error ?? `control API answered ${res.status}`, {
        kind: e.kind === "input" ? "input" : "failure",
        ...(e.fix ? { fix: e.fix } : {}),
        ...(e.location ? { location: e.location } : {}),
      });
    }
    return data as T;
  }

  status(): Promise<EdgeStatus> {
    return this.call("GET", "/status");
  }

  uploadVersion(options: UploadVersionOptions): Promise<VersionInfo> {
    const { worker, ...rest } = options;
    return this.call("POST", `/workers/${enc(worker)}/versions`, { ...rest, configPath: resolve(rest.configPath) });
  }

  listVersions(worker: string): Promise<VersionInfo[]> {
    return this.call("GET", `/workers/${enc(worker)}/versions`);
  }

  deploy(worker: string, split: SplitEntry[], options: DeployOptions = {}): Promise<Deployment> {
    return this.call("POST", `/workers/${enc(worker)}/deployments`, { versions: split, message: options.message });
  }

  async currentDeployment(worker: string): Promise<Deployment | undefined> {
    return (await this.call<Deployment | null>("GET", `/workers/${enc(worker)}/deployments/current`)) ?? undefined;
  }

  listDeployments(worker: string): Promise<Deployment[]> {
    return this.call("GET", `/workers/${enc(worker)}/deployments`);
  }

  rollback(worker: string, options: RollbackOptions = {}): Promise<Deployment> {
    return this.call("POST", `/workers/${enc(worker)}/rollback`, { to: options.to, message: options.message });
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
    return `${this.routerUrl()}/__worker/${enc(worker)}`;
  }

  metrics(query: MetricsQuery): Promise<VersionMetrics[]> {
    return this.call("GET", `/workers/${enc(query.worker)}/metrics?${windowQuery(query)}`);
  }

  extraSignals(query: MetricsQuery & { queues: string[]; durableObjects: string[] }): Promise<ExtraSignals> {
    const q = new URLSearchParams(windowQuery(query));
    q.set("queues", query.queues.join(","));
    q.set("durableObjects", query.durableObjects.join(","));
    return this.call("GET", `/workers/${enc(query.worker)}/signals?${q}`);
  }

  pauseQueue(queue: string): Promise<QueueState> {
    return this.call("POST", `/queues/${enc(queue)}/pause`, {});
  }

  resumeQueue(queue: string): Promise<QueueState> {
    return this.call("POST", `/queues/${enc(queue)}/resume`, {});
  }

  queueState(queue: string): Promise<QueueState> {
    return this.call("GET", `/queues/${enc(queue)}`);
  }

  /** Every queue the edge knows, with backlog and DLQ depth (local only; not part of Platform). */
  listQueues(): Promise<QueueState[]> {
    return this.call("GET", "/queues");
  }

  /** Puts JSON messages straight into a queue (local only: drills use it to inject poison messages). */
  sendToQueue(queue: string, bodies: unknown[]): Promise<QueueState> {
    return this.call("POST", `/queues/${enc(queue)}/messages`, { messages: bodies.map((body) => ({ body })) });
  }

  replayDeadLetters(queue: string, options: ReplayOptions = {}): Promise<ReplayResult> {
    return this.call("POST", `/queues/${enc(queue)}/dlq/replay`, options);
  }

  listFlags(): Promise<FlagState[]> {
    return this.call("GET", "/flags");
  }

  setFlag(name: string, value: string, actor: string): Promise<FlagState> {
    return this.call("PUT", `/flags/${enc(name)}`, { value, actor });
  }

  listMigrations(worker: string, database: string): Promise<MigrationState[]> {
    return this.call("GET", `/workers/${enc(worker)}/d1/${enc(database)}/migrations`);
  }

  applyMigrations(worker: string, database: string, options: { upTo?: string } = {}): Promise<string[]> {
    return this.call("POST", `/workers/${enc(worker)}/d1/${enc(database)}/migrations/apply`, { upTo: options.upTo });
  }

  createRestorePoint(worker: string, database: string, beforeMigration?: string): Promise<RestorePoint> {
    return this.call("POST", `/workers/${enc(worker)}/d1/${enc(database)}/restore-points`, { beforeMigration });
  }

  listRestorePoints(worker: string, database: string): Promise<RestorePoint[]> {
    return this.call("GET", `/workers/${enc(worker)}/d1/${enc(database)}/restore-points`);
  }

  async restore(worker: string, database: string, bookmark: string): Promise<void> {
    await this.call("POST", `/workers/${enc(worker)}/d1/${enc(database)}/restore`, { bookmark });
  }

  async recordAnalysis(record: AnalysisRecord): Promise<void> {
    const { worker, ...rest } = record;
    await this.call("POST", `/workers/${enc(worker)}/analysis`, rest);
  }

  listAnalysis(worker: string, since?: Date): Promise<AnalysisRecord[]> {
    const q = since ? `?since=${encodeURIComponent(since.toISOString())}` : "";
    return this.call("GET", `/workers/${enc(worker)}/analysis${q}`);
  }
}

export function createLocalPlatform(options: LocalPlatformOptions): LocalPlatform {
  return new LocalPlatform(options);
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function windowQuery(query: MetricsQuery): string {
  const q = new URLSearchParams({ since: query.since.toISOString() });
  if (query.until) q.set("until", query.until.toISOString());
  if (query.slowerThanMs?.length) q.set("slowerThanMs", query.slowerThanMs.join(","));
  return q.toString();
}
