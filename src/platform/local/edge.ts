import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { Agent, createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { BlastwallError } from "../../core/errors.js";
import { loadProject } from "../../project/discover.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import { migrationOrderFor } from "../../project/wrangler-version.js";
import type {
  AnalysisRecord,
  Deployment,
  ExtraSignals,
  FlagState,
  MetricsQuery,
  MigrationState,
  QueueState,
  ReplayOptions,
  ReplayResult,
  RestorePoint,
  SplitEntry,
  UploadVersionOptions,
  VersionInfo,
  VersionMetrics,
} from "../platform.js";
import { bindingsOf, buildVersion, EXCEPTION_HEADER, migrationTagAnnotation, readDevVars } from "./bundle.js";
import * as d1 from "./d1.js";
import { MetricsRecorder } from "./metrics.js";
import {
  type DeliveredMessage,
  QueueBroker,
  type QueueDeliveryResult,
  type IncomingMessage as QueueMessageIn,
} from "./queue-broker.js";
import { chooseVersion, orderSplit } from "./split.js";
import { type EdgePaths, EdgeState, edgePaths, type VersionRecord } from "./state.js";
import { d1BindingName, edgeWorkers, INTERNAL_WORKER, kvBindingName } from "./workers.js";

/** Response header naming the version that served a request through the router. */
export const VERSION_HEADER = "x-blastwall-version";
/** Path prefix that picks a Worker when the Host header cannot: `/__worker/<name>/rest/of/path`. */
export const WORKER_PATH_PREFIX = "/__worker/";

export interface EdgeOptions {
  projectDir: string;
  /** Router port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Control API port on 127.0.0.1; 0 picks a free one. */
  controlPort?: number;
  /** Bearer token of the control API; generated when absent. */
  token?: string;
  log?: (line: string) => void;
  /** Miniflare's own log level (worker console output is always shown). */
  logLevel?: LogLevel;
}

export interface EdgeStatus {
  pid: number;
  startedAt: string;
  projectDir: string;
  routerUrl: string;
  controlUrl: string;
  workers: { name: string; versions: number; deployment?: Deployment; primaryVersion?: string }[];
  defaultWorker?: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function short(id: string): string {
  return id.slice(0, 8);
}

/** A bookmark-shaped id, like D1 Time Travel's: time, sequence and randomness in hex groups. */
function newBookmark(seq: number): string {
  const t = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, "0");
  return `${t}-${seq.toString(16).padStart(8, "0")}-${randomBytes(4).toString("hex")}-${randomBytes(16).toString("hex")}`;
}

/**
 * The local edge: one Miniflare running every uploaded version as its own worker, a router that splits traffic by
 * the deployment in force, the durable queue broker, and the operations the control API exposes.
 *
 * @example
 * const edge = await Edge.start({ projectDir: "examples/shop", port: 8787 });
 * await edge.deploy("shop-api", [{ versionId, percentage: 100 }]);
 * await edge.stop();
 */
export class Edge {
  readonly paths: EdgePaths;
  readonly token: string;
  readonly adminToken = randomBytes(24).toString("hex");
  readonly startedAt = new Date().toISOString();
  readonly metricsRecorder = new MetricsRecorder();
  routerPort = 0;
  /** Called after workerd restarted with a new config (the daemon records the new workerd pid). */
  onRuntimeRestart: (() => void) | undefined;
  private readonly state: EdgeState;
  private readonly broker: QueueBroker;
  private mf: Miniflare | undefined;
  private router: Server | undefined;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private urls = new Map<string, URL>();
  private doHosts = new Map<string, string>();
  private d1Ids: string[] = [];
  private kvIds: string[] = [];
  private queues: string[] = [];
  private gate: Promise<void> | undefined;
  private inflight = 0;
  private mutex: Promise<unknown> = Promise.resolve();
  private readonly log: (line: string) => void;
  private unavailable = new Map<string, number[]>();
  private table: RouteTable | undefined;
  private logLevel = LogLevel.WARN;
  /** Canary analysis polls per Worker, oldest first (in memory: the dashboard charts the current rollout). */
  private readonly analysis = new Map<string, AnalysisRecord[]>();

  private constructor(
    readonly projectDir: string,
    token: string | undefined,
    log: (line: string) => void,
  ) {
    this.paths = edgePaths(projectDir);
    mkdirSync(this.paths.root, { recursive: true });
    this.token = token ?? randomBytes(24).toString("hex");
    this.log = log;
    this.state = new EdgeState(this.paths.stateFile);
    this.broker = new QueueBroker({
      file: this.paths.queuesDb,
      consumerOf: (q) => this.consumerOf(q),
      dlqOf: (q) => this.dlqOf(q),
      deliver: (name, q, messages) => this.deliverQueue(name, q, messages),
      log,
    });
  }

  static async start({
    projectDir,
    port = 8787,
    token,
    log = (l) => process.stderr.write(`${l}\n`),
    logLevel = LogLevel.WARN,
  }: EdgeOptions): Promise<Edge> {
    const edge = new Edge(resolve(projectDir), token, log);
    edge.logLevel = logLevel;
    // The router listens first so that a taken port fails fast; requests wait at the gate until workerd is up.
    let open = () => {};
    edge.gate = new Promise<void>((r) => {
      open = r;
    });
    try {
      edge.router = await listen(
        createServer((req, res) => {
          edge.route(req, res).catch((err: unknown) => {
            edge.log(`router: ${(err as Error).stack ?? String(err)}`);
            if (!res.headersSent) plain(res, 500, "local edge: router error (see .blastwall/local/edge.log)\n");
            else res.destroy();
          });
        }),
        port,
      );
      edge.routerPort = (edge.router.address() as AddressInfo).port;
      edge.collectStores();
      edge.mf = new Miniflare(edge.miniflareOptions());
      await edge.mf.ready;
      await edge.refreshUrls();
      edge.broker.start();
    } catch (err) {
      await edge.stop();
      throw err;
    } finally {
      edge.gate = undefined;
      open();
    }
    return edge;
  }

  async stop(): Promise<void> {
    const server = this.router;
    if (server) {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    }
    await this.broker.stop();
    this.agent.destroy();
    await this.mf?.dispose();
    this.mf = undefined;
  }

  // ── Miniflare ────────────────────────────────────────────────────────────────────────────────────────────

  private miniflareOptions() {
    const persist = this.paths.persistDir;
    return {
      log: new Log(this.logLevel),
      // No network here, and nothing the edge runs needs the real `request.cf`.
      cf: false,
      d1Persist: join(persist, "d1"),
      kvPersist: join(persist, "kv"),
      r2Persist: join(persist, "r2"),
      durableObjectsPersist: join(persist, "do"),
      workers: edgeWorkers({
        versions: this.state.versions(),
        doHosts: this.computeDoHosts(),
        adminToken: this.adminToken,
        d1Ids: this.d1Ids,
        kvIds: this.kvIds,
        queues: this.queues,
        broker: (req: Request) => this.brokerEndpoint(req),
      }),
    };
  }

  private projectConfigs(): WranglerConfig[] {
    try {
      return loadProject(this.projectDir).workers;
    } catch {
      return [];
    }
  }

  /** Every D1 id, KV id and queue named by a project config or a version, for the internal worker. */
  private collectStores(): boolean {
    const d1Ids = new Set(this.d1Ids);
    const kvIds = new Set(this.kvIds);
    const queues = new Set(this.queues);
    for (const c of this.projectConfigs()) {
      for (const s of [c, ...Object.values(c.env)]) {
        const b = bindingsOf(s);
        for (const d of b.d1) d1Ids.add(d.id);
        for (const k of b.kv) kvIds.add(k.id);
        for (const p of b.producers) queues.add(p.queue);
        for (const q of b.consumers) {
          queues.add(q.queue);
          if (q.deadLetterQueue) queues.add(q.deadLetterQueue);
        }
      }
    }
    for (const v of this.state.versions()) {
      for (const d of v.bindings.d1) d1Ids.add(d.id);
      for (const k of v.bindings.kv) kvIds.add(k.id);
      for (const p of v.bindings.producers) queues.add(p.queue);
      for (const q of v.bindings.consumers) {
        queues.add(q.queue);
        if (q.deadLetterQueue) queues.add(q.deadLetterQueue);
      }
    }
    const changed =
      d1Ids.size !== this.d1Ids.length || kvIds.size !== this.kvIds.length || queues.size !== this.queues.length;
    // Append only: binding names are positional, so existing ids keep their names.
    this.d1Ids = [...this.d1Ids, ...[...d1Ids].filter((x) => !this.d1Ids.includes(x))];
    this.kvIds = [...this.kvIds, ...[...kvIds].filter((x) => !this.kvIds.includes(x))];
    this.queues = [...this.queues, ...[...queues].filter((x) => !this.queues.includes(x))];
    return changed;
  }

  /** The version with the largest share of a Worker's deployment (ties: the newer); before any deploy, the newest. */
  primaryVersion(worker: string): VersionRecord | undefined {
    const current = this.state.current(worker);
    const versions = this.state.versions(worker);
    if (!current) return versions[versions.length - 1];
    let best: VersionRecord | undefined;
    let bestPct = -1;
    for (const e of current.versions) {
      const v = versions.find((x) => x.id === e.versionId);
      if (!v) continue;
      if (e.percentage > bestPct || (e.percentage === bestPct && best && v.createdAt > best.createdAt)) {
        best = v;
        bestPct = e.percentage;
      }
    }
    return best;
  }

  private computeDoHosts(): Map<string, string> {
    const hosts = new Map<string, string>();
    for (const worker of new Set(this.state.versions().map((v) => v.worker))) {
      const primary = this.primaryVersion(worker);
      if (primary) hosts.set(worker, primary.runtimeName);
    }
    return hosts;
  }

  private async refreshUrls(): Promise<void> {
    const mf = this.requireMf();
    const urls = new Map<string, URL>();
    for (const v of this.state.versions()) urls.set(v.runtimeName, await mf.unsafeGetDirectURL(v.runtimeName));
    this.urls = urls;
    this.doHosts = this.computeDoHosts();
  }

  private requireMf(): Miniflare {
    if (!this.mf) throw new BlastwallError("the local edge is stopping", { kind: "failure" });
    return this.mf;
  }

  /**
   * Applies a new worker list. New requests wait at the gate, requests in flight finish first, then workerd
   * restarts with the new config; nothing in flight is cut, nothing new fails.
   */
  private async reload(): Promise<void> {
    let release = () => {};
    this.gate = new Promise<void>((r) => {
      release = r;
    });
    try {
      const deadline = Date.now() + 15_000;
      while (this.inflight > 0 && Date.now() < deadline) await sleep(5);
      // Let Miniflare's broker hand over messages sent by the requests that just finished.
      await sleep(50);
      this.collectStores();
      await this.requireMf().setOptions(this.miniflareOptions());
      await this.refreshUrls();
      this.table = undefined;
      this.onRuntimeRestart?.();
    } finally {
      this.gate = undefined;
      release();
    }
  }

  private async reloadIfHostsChanged(): Promise<void> {
    const next = this.computeDoHosts();
    const same = next.size === this.doHosts.size && [...next].every(([k, v]) => this.doHosts.get(k) === v);
    if (!same) await this.reload();
  }

  /** Runs state-changing operations one at a time. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(fn, fn);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  // ── Router ───────────────────────────────────────────────────────────────────────────────────────────────

  /** Workers with at least one version, in upload order. */
  private workers(): string[] {
    return [...new Set(this.state.versions().map((v) => v.worker))];
  }

  /**
   * The Worker that answers plain requests: the first Worker of the project (in config order) that is deployed and
   * consumes no queue, else the first deployed one.
   */
  defaultWorker(): string | undefined {
    return this.routeTable().defaultWorker;
  }

  /** What the router needs per request, rebuilt only when versions, deployments or the runtime change. */
  private routeTable(): RouteTable {
    if (this.table) return this.table;
    const workers = this.workers();
    const deployed = workers.filter((w) => this.state.current(w));
    const order = this.projectConfigs().map((c) => c.name ?? "");
    const rank = (w: string) => (order.indexOf(w) < 0 ? 1e9 : order.indexOf(w));
    deployed.sort((a, b) => rank(a) - rank(b));
    const isConsumer = (w: string) => (this.primaryVersion(w)?.bindings.consumers.length ?? 0) > 0;
    const splits = new Map<string, WorkerRoute>();
    for (const worker of deployed) {
      const deployment = this.state.current(worker);
      const versions = new Map(this.state.versions(worker).map((v) => [v.id, v]));
      if (!deployment) continue;
      const ordered = orderSplit({
        entries: deployment.versions.map((e) => ({ ...e, createdAt: versions.get(e.versionId)?.createdAt ?? "" })),
      });
      const byShort = new Map([...versions.keys()].map((id) => [short(id), id]));
      splits.set(worker, { ordered, versions, byShort });
    }
    this.table = {
      workers: new Set(workers),
      defaultWorker: deployed.find((w) => !isConsumer(w)) ?? deployed[0],
      splits,
    };
    return this.table;
  }

  private pickWorker(req: IncomingMessage): { worker: string | undefined; path: string } {
    const url = req.url ?? "/";
    if (url.startsWith(WORKER_PATH_PREFIX)) {
      const rest = url.slice(WORKER_PATH_PREFIX.length);
      const slash = rest.search(/[/?]/);
      const name = slash < 0 ? rest : rest.slice(0, slash);
      const path = slash < 0 ? "/" : rest.slice(slash);
      return { worker: name, path: path.startsWith("?") ? `/${path}` : path };
    }
    const host = (req.headers.host ?? "").split(":")[0] ?? "";
    const label = host.split(".")[0] ?? "";
    if (label && host.includes(".") && this.routeTable().workers.has(label)) return { worker: label, path: url };
    return { worker: this.defaultWorker(), path: url };
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    if (this.gate !== undefined) await this.gate;
    const { worker, path } = this.pickWorker(req);
    if (!worker) return plain(res, 503, "no Worker is deployed on the local edge; run `blastwall versions deploy`\n");
    const split = this.routeTable().splits.get(worker);
    if (!split) return plain(res, 503, `${worker} has no deployment; run \`blastwall versions deploy\`\n`);
    const choice = chooseVersion({
      worker,
      ordered: split.ordered,
      overrideHeader: header(req, "cloudflare-workers-version-overrides"),
      keyHeader: header(req, "cloudflare-workers-version-key"),
      matchOverride: (value) => (split.versions.has(value) ? value : split.byShort.get(value)),
    });
    const version = choice && split.versions.get(choice.versionId);
    const target = version && this.urls.get(version.runtimeName);
    if (!version || !target) return plain(res, 503, `${worker}: the deployment names no runnable version\n`);
    this.inflight++;
    let done = false;
    // Status 499 (client closed) when the client leaves before the version answers.
    let status = 499;
    let exception = false;
    const upstream = request(
      { host: target.hostname, port: target.port, method: req.method, path, headers: req.headers, agent: this.agent },
      (up) => {
        status = up.statusCode ?? 502;
        exception = up.headers[EXCEPTION_HEADER] !== undefined;
        const out: Record<string, string | string[] | undefined> = { ...up.headers, [VERSION_HEADER]: version.id };
        delete out[EXCEPTION_HEADER];
        res.writeHead(status, out);
        up.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      status = 502;
      exception = true;
      if (!res.headersSent) plain(res, 502, `local edge: ${version.runtimeName} did not answer: ${err.message}\n`);
      else res.destroy(err);
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
      if (done) return;
      done = true;
      this.inflight--;
      const latencyMs = performance.now() - started;
      this.metricsRecorder.record({ worker, versionId: version.id, status, latencyMs, exception });
      if (status === 503) this.noteUnavailable(worker);
    });
    req.pipe(upstream);
  }

  private noteUnavailable(worker: string): void {
    const list = this.unavailable.get(worker) ?? [];
    this.unavailable.set(worker, list);
    const now = Date.now();
    list.push(now);
    if (list.length > 10_000) list.splice(0, list.length - 10_000);
  }

  /** A version's own socket, bypassing the router (the bench compares the two). */
  directUrl(worker: string, versionRef: string): URL {
    const v = this.state.resolveVersion(worker, versionRef);
    const url = this.urls.get(v.runtimeName);
    if (!url) throw new BlastwallError(`${v.runtimeName} is not running`, { kind: "failure" });
    return url;
  }

  // ── Versions and deployments ─────────────────────────────────────────────────────────────────────────────

  uploadVersion(options: UploadVersionOptions): Promise<VersionInfo> {
    return this.exclusive(async () => {
      const id = randomUUID();
      const outDir = join(this.paths.versionsDir, id);
      const built = await buildVersion({
        projectDir: this.projectDir,
        configPath: options.configPath,
        env: options.env,
        outDir,
      });
      const name = built.settings.name;
      if (name !== options.worker) {
        throw new BlastwallError(`the config names its Worker "${name ?? "(no name)"}", not "${options.worker}"`, {
          location: { file: built.config.path, ...built.config.locate(["name"]) },
          fix: `pass --worker ${name ?? "<name>"}, or set "name" in the config`,
        });
      }
      const record: VersionRecord = {
        id,
        worker: options.worker,
        createdAt: new Date().toISOString(),
        ...(options.tag ? { tag: options.tag } : {}),
        ...(options.message ? { message: options.message } : {}),
        annotations: {
          ...(options.tag ? { "workers/tag": options.tag } : {}),
          ...(options.message ? { "workers/message": options.message } : {}),
          ...migrationTagAnnotation(built.settings),
        },
        runtimeName: `${options.worker}@${short(id)}`,
        configPath: built.config.path,
        ...(options.env ? { env: options.env } : {}),
        bundleDir: outDir,
        modules: built.modules,
        compatibilityDate: built.settings.compatibility_date ?? "2025-01-01",
        compatibilityFlags: built.settings.compatibility_flags,
        bindings: bindingsOf(built.settings, {
          ...readDevVars(dirname(built.config.path), options.env),
          ...options.vars,
        }),
      };
      this.state.addVersion(record);
      this.table = undefined;
      await this.reload();
      return publicVersion(record);
    });
  }

  listVersions(worker: string): VersionInfo[] {
    return this.state.versions(worker).map(publicVersion).reverse();
  }

  deploy(worker: string, split: SplitEntry[], message?: string): Promise<Deployment> {
    return this.exclusive(async () => {
      const entries = this.validateSplit(worker, split);
      const deployment = this.state.addDeployment(worker, entries, "deployment", message);
      this.table = undefined;
      await this.reloadIfHostsChanged();
      return deployment;
    });
  }

  private validateSplit(worker: string, split: SplitEntry[]): SplitEntry[] {
    if (split.length < 1 || split.length > 2) {
      throw new BlastwallError(`a deployment holds 1 or 2 versions, got ${split.length}`, {
        fix: "deploy `<id>@100`, or `<new>@10 <old>@90`",
      });
    }
    const entries = split.map((e) => ({
      versionId: this.state.resolveVersion(worker, e.versionId).id,
      percentage: e.percentage,
    }));
    for (const e of entries) {
      if (!Number.isFinite(e.percentage) || e.percentage < 0 || e.percentage > 100) {
        throw new BlastwallError(`percentage ${e.percentage} for ${short(e.versionId)} is outside 0-100`, {
          fix: "give each version a share between 0 and 100",
        });
      }
    }
    const total = entries.reduce((s, e) => s + e.percentage, 0);
    if (Math.abs(total - 100) > 1e-9) {
      throw new BlastwallError(`the shares add up to ${total}%, not 100%`, {
        fix: "make the percentages add up to 100, e.g. `<new>@10 <old>@90`",
      });
    }
    if (entries.length === 2 && entries[0]?.versionId === entries[1]?.versionId) {
      throw new BlastwallError("the same version is listed twice", { fix: "list two different versions" });
    }
    return entries;
  }

  currentDeployment(worker: string): Deployment | undefined {
    return this.state.current(worker);
  }

  listDeployments(worker: string): Deployment[] {
    return this.state.deployments(worker);
  }

  rollback(worker: string, to?: string, message?: string): Promise<Deployment> {
    return this.exclusive(async () => {
      const history = this.state.deployments(worker);
      const [current, ...older] = history;
      if (!current) {
        throw new BlastwallError(`${worker} was never deployed on the local edge`, {
          kind: "failure",
          fix: "deploy a version first: `blastwall versions deploy <id>@100`",
        });
      }
      let targetId: string | undefined;
      if (to) targetId = this.state.resolveVersion(worker, to).id;
      else {
        const single = current.versions.length === 1 ? current.versions[0]?.versionId : undefined;
        for (const d of older) {
          const full = d.versions.find((e) => e.percentage === 100);
          if (full && full.versionId !== single) {
            targetId = full.versionId;
            break;
          }
        }
      }
      if (!targetId) {
        throw new BlastwallError(`no earlier deployment of ${worker} served one version at 100%`, {
          kind: "failure",
          fix: "name the version to return to: `blastwall rollback --to <id>`",
        });
      }
      const deployment = this.state.addDeployment(
        worker,
        [{ versionId: targetId, percentage: 100 }],
        "rollback",
        message ?? `rollback to ${short(targetId)}`,
      );
      this.table = undefined;
      await this.reloadIfHostsChanged();
      return deployment;
    });
  }

  // ── Metrics ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Per version over the window; every version of the current deployment is listed, with zeros if it saw nothing. */
  metrics(query: MetricsQuery): VersionMetrics[] {
    const out = this.metricsRecorder.query(query.worker, query.since, query.until ?? new Date(), query.slowerThanMs);
    for (const e of this.state.current(query.worker)?.versions ?? []) {
      if (out.some((m) => m.versionId === e.versionId)) continue;
      out.push({
        versionId: e.versionId,
        requests: 0,
        status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
        exceptions: 0,
        latency: { p50: 0, p95: 0, p99: 0 },
        slowerThan: Object.fromEntries((query.slowerThanMs ?? []).map((b) => [String(b), 0])),
      });
    }
    return out;
  }

  /**
   * DLQ arrivals per watched queue, and Durable Object errors. The router cannot see inside a Worker, so a 503
   * answered by the Worker is counted against each watched class (workerd surfaces an overloaded object as 503).
   */
  extraSignals(query: MetricsQuery & { queues: string[]; durableObjects: string[] }): ExtraSignals {
    const since = query.since.getTime();
    const until = (query.until ?? new Date()).getTime();
    const dlqMessages: Record<string, number> = {};
    for (const q of query.queues) dlqMessages[q] = this.broker.arrivals(this.dlqOf(q) ?? q, since, until);
    const n503 = (this.unavailable.get(query.worker) ?? []).filter((t) => t >= since && t <= until).length;
    const durableObjectErrors: Record<string, number> = {};
    for (const c of query.durableObjects) durableObjectErrors[c] = n503;
    return { dlqMessages, durableObjectErrors };
  }

  // ── Queues ───────────────────────────────────────────────────────────────────────────────────────────────

  /** The version consuming a queue: the primary version of the deployed Worker whose config consumes it. */
  private consumerOf(queue: string) {
    for (const worker of this.workers()) {
      if (!this.state.current(worker)) continue;
      const v = this.primaryVersion(worker);
      const settings = v?.bindings.consumers.find((c) => c.queue === queue);
      if (v && settings) return { runtimeName: v.runtimeName, settings };
    }
    return undefined;
  }

  private dlqOf(queue: string): string | undefined {
    const live = this.consumerOf(queue)?.settings.deadLetterQueue;
    if (live) return live;
    for (const v of [...this.state.versions()].reverse()) {
      const c = v.bindings.consumers.find((x) => x.queue === queue);
      if (c?.deadLetterQueue) return c.deadLetterQueue;
    }
    for (const c of this.projectConfigs()) {
      const dlq = c.queues.consumers.find((x) => x.queue === queue)?.dead_letter_queue;
      if (dlq) return dlq;
    }
    return undefined;
  }

  private async deliverQueue(runtimeName: string, queue: string, messages: DeliveredMessage[]) {
    if (this.gate !== undefined) await this.gate;
    this.inflight++;
    try {
      const worker = await this.requireMf().getWorker(runtimeName);
      const result = (await worker.queue(queue, messages)) as unknown;
      return result as QueueDeliveryResult;
    } finally {
      this.inflight--;
    }
  }

  private async brokerEndpoint(req: Request): Promise<Response> {
    try {
      const body = (await req.json()) as { queue: string; messages: QueueMessageIn[] };
      this.broker.enqueue(body.queue, body.messages);
      return new Response("stored");
    } catch (err) {
      this.log(`queue broker: could not store a batch: ${(err as Error).message}`);
      return new Response((err as Error).message, { status: 500 });
    }
  }

  private checkQueue(queue: string): void {
    if (this.queues.includes(queue) || this.broker.knownQueues().includes(queue)) return;
    throw new BlastwallError(`no queue named "${queue}" on the local edge`, {
      fix: `use one of: ${this.listQueueNames().join(", ") || "(none declared in the project's wrangler configs)"}`,
    });
  }

  private listQueueNames(): string[] {
    return [...new Set([...this.queues, ...this.broker.knownQueues()])].sort();
  }

  pauseQueue(queue: string): QueueState {
    this.checkQueue(queue);
    this.broker.pause(queue);
    return this.broker.state(queue);
  }

  resumeQueue(queue: string): QueueState {
    this.checkQueue(queue);
    this.broker.resume(queue);
    return this.broker.state(queue);
  }

  queueState(queue: string): QueueState {
    this.checkQueue(queue);
    return this.broker.state(queue);
  }

  /** Puts JSON messages straight into a queue (drills inject poison messages this way; redrives too). */
  sendToQueue(queue: string, bodies: unknown[]): QueueState {
    this.checkQueue(queue);
    const now = Date.now();
    this.broker.enqueue(
      queue,
      bodies.map((b) => ({
        id: randomBytes(16).toString("hex"),
        timestamp: now,
        body: { type: "json", data: JSON.stringify(b) },
      })),
    );
    return this.broker.state(queue);
  }

  /** `queues dlq replay`: the broker moves each dead letter back atomically (see QueueBroker.replay). */
  replayDeadLetters(queue: string, options: ReplayOptions = {}): ReplayResult {
    this.checkQueue(queue);
    const dlq = this.dlqOf(queue);
    if (!dlq) {
      throw new BlastwallError(`${queue} has no dead_letter_queue: there is nothing to replay`, {
        fix: `set "dead_letter_queue" on the consumer of ${queue} in its wrangler config`,
      });
    }
    const messages = this.broker.replay(dlq, queue, options);
    const dryRun = options.dryRun === true;
    return { queue, deadLetterQueue: dlq, dryRun, messages, remaining: this.broker.depth(dlq) };
  }

  listQueues(): QueueState[] {
    return this.listQueueNames().map((q) => this.broker.state(q));
  }

  // ── Flags ────────────────────────────────────────────────────────────────────────────────────────────────

  /** The ops admin route on the HTTP Worker's primary version, straight to its socket (no canary metrics). */
  private async opsRequest(path: string, init: RequestInit = {}): Promise<Response | undefined> {
    const worker = this.defaultWorker();
    const v = worker ? this.primaryVersion(worker) : undefined;
    const base = v && this.urls.get(v.runtimeName);
    if (!base) return undefined;
    const res = await fetch(new URL(`/__blastwall/ops/flags${path}`, base), {
      ...init,
      headers: { authorization: `Bearer ${this.adminToken}`, "content-type": "application/json" },
    });
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      throw new BlastwallError(`the ops flags route of ${v.runtimeName} answered ${res.status}: ${await res.text()}`, {
        kind: "failure",
        fix: "check that the Worker mounts blastwall/ops and reads BLASTWALL_ADMIN_TOKEN",
      });
    }
    return res;
  }

  private async kvMirror() {
    const mf = this.requireMf();
    return Promise.all(this.kvIds.map((_, i) => mf.getKVNamespace(kvBindingName(i), INTERNAL_WORKER)));
  }

  async listFlags(): Promise<EdgeFlag[]> {
    const res = await this.opsRequest("");
    if (res) return parseFlags((await res.json()) as unknown);
    const flags = new Map<string, EdgeFlag>();
    for (const kv of await this.kvMirror()) {
      const { keys } = await kv.list({ prefix: "ops:" });
      for (const k of keys) {
        const meta = (k.metadata ?? {}) as { actor?: string; updatedAt?: string };
        const name = k.name.slice(4);
        if (flags.has(name)) continue;
        const value = await kv.get(k.name);
        if (value === null) continue;
        flags.set(name, {
          name,
          value,
          ...(meta.actor ? { actor: meta.actor } : {}),
          ...(meta.updatedAt ? { updatedAt: meta.updatedAt } : {}),
        });
      }
    }
    return [...flags.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async setFlag(name: string, value: string, actor: string): Promise<EdgeFlag> {
    if (!/^[\w.-]{1,64}$/.test(name)) {
      throw new BlastwallError(`flag name "${name}" is not valid`, { fix: "use 1-64 letters, digits, _ . or -" });
    }
    const updatedAt = new Date().toISOString();
    const res = await this.opsRequest(`/${encodeURIComponent(name)}`, {
      method: "PUT",
      body: JSON.stringify({ value, actor }),
    });
    // The KV mirror lets Workers that read `ops:<name>` from KV see the flag too.
    for (const kv of await this.kvMirror()) await kv.put(`ops:${name}`, value, { metadata: { actor, updatedAt } });
    if (res) {
      const parsed = parseFlags((await res.json()) as unknown).find((f) => f.name === name);
      if (parsed) return parsed;
    }
    return { name, value, actor, updatedAt };
  }

  // ── D1 ───────────────────────────────────────────────────────────────────────────────────────────────────

  private async database(worker: string, database: string) {
    const config =
      this.projectConfigs().find((c) => c.name === worker) ??
      this.state
        .versions(worker)
        .map((v) => v.configPath)
        .reverse()
        .map((p) => loadProject(p).workers[0])
        .find((c) => c !== undefined);
    if (!config) {
      throw new BlastwallError(`no Worker named "${worker}" in ${this.projectDir}`, {
        fix: "pass --worker with a name from `blastwall workers list`",
      });
    }
    const binding = config.d1_databases.find(
      (d) => d.binding === database || d.database_name === database || d.database_id === database,
    );
    if (!binding) {
      throw new BlastwallError(`${worker} has no D1 database "${database}"`, {
        location: { file: config.path },
        fix: `use one of: ${config.d1_databases.map((d) => d.database_name ?? d.binding).join(", ") || "(none)"}`,
      });
    }
    const id = binding.database_id ?? binding.database_name ?? binding.binding;
    // A database declared after the edge started: bind it to the internal worker first (not via exclusive(): callers hold it).
    if (!this.d1Ids.includes(id)) await this.reload();
    const index = this.d1Ids.indexOf(id);
    if (index < 0) {
      throw new BlastwallError(`D1 database ${id} is not bound on the local edge`, {
        kind: "failure",
        location: { file: config.path },
        fix: "restart the edge so it reads the project's configs again: `blastwall local down && blastwall local up`",
      });
    }
    const db = (await this.requireMf().getD1Database(d1BindingName(index), INTERNAL_WORKER)) as unknown as d1.D1Client;
    return {
      db,
      id,
      name: binding.database_name ?? binding.binding,
      dir: resolve(dirname(config.path), binding.migrations_dir ?? "migrations"),
      table: binding.migrations_table ?? d1.DEFAULT_MIGRATIONS_TABLE,
      order: migrationOrderFor(this.projectDir),
    };
  }

  async listMigrations(worker: string, database: string): Promise<MigrationState[]> {
    return d1.listMigrations(await this.database(worker, database));
  }

  applyMigrations(worker: string, database: string, upTo?: string): Promise<string[]> {
    return this.exclusive(async () => d1.applyMigrations(await this.database(worker, database), upTo));
  }

  createRestorePoint(worker: string, database: string, beforeMigration?: string): Promise<RestorePoint> {
    return this.exclusive(async () => {
      const db = await this.database(worker, database);
      const snap = await d1.snapshot(db.db);
      const bookmark = newBookmark(this.state.restorePoints(db.name).length + 1);
      const file = join(this.paths.snapshotsDir, db.id, `${bookmark}.json`);
      const point: RestorePoint = {
        database: db.name,
        bookmark,
        createdAt: new Date().toISOString(),
        ...(beforeMigration ? { beforeMigration } : {}),
      };
      d1.writeSnapshot(file, snap, point as unknown as Record<string, unknown>);
      this.state.addRestorePoint({ ...point, file });
      return point;
    });
  }

  async listRestorePoints(worker: string, database: string): Promise<RestorePoint[]> {
    const db = await this.database(worker, database);
    return this.state.restorePoints(db.name).map(({ file: _file, ...p }) => p);
  }

  restore(worker: string, database: string, bookmark: string): Promise<void> {
    return this.exclusive(async () => {
      const db = await this.database(worker, database);
      const point = this.state.restorePoints(db.name).find((p) => p.bookmark === bookmark);
      if (!point) {
        throw new BlastwallError(`no restore point ${bookmark} for database ${db.name}`, {
          fix: "list them with `blastwall d1 restore-points`",
        });
      }
      await d1.restoreSnapshot(db.db, d1.readSnapshot(point.file));
    });
  }

  /** Every D1 database the project's Worker configs declare, for the dashboard. */
  declaredDatabases(): { worker: string; database: string }[] {
    const seen = new Set<string>();
    const out: { worker: string; database: string }[] = [];
    for (const c of this.projectConfigs()) {
      for (const d of c.d1_databases) {
        // Workers that share a database (same id) list it once.
        const id = d.database_id ?? d.database_name ?? d.binding;
        if (!c.name || seen.has(id)) continue;
        seen.add(id);
        out.push({ worker: c.name, database: d.database_name ?? d.binding });
      }
    }
    return out;
  }

  // ── Canary analysis ──────────────────────────────────────────────────────────────────────────────────────

  /** Stores one poll of the release engine's analysis; keeps the newest 5,000 per Worker. */
  recordAnalysis(record: AnalysisRecord): AnalysisRecord {
    const list = this.analysis.get(record.worker) ?? [];
    this.analysis.set(record.worker, list);
    list.push(record);
    list.sort((a, b) => a.t - b.t);
    if (list.length > 5000) list.splice(0, list.length - 5000);
    return record;
  }

  listAnalysis(worker: string, since?: Date): AnalysisRecord[] {
    const from = since ? since.getTime() / 1000 : Number.NEGATIVE_INFINITY;
    return (this.analysis.get(worker) ?? []).filter((r) => r.t >= from);
  }

  // ── Status ───────────────────────────────────────────────────────────────────────────────────────────────

  status(controlUrl: string): EdgeStatus {
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      projectDir: this.projectDir,
      routerUrl: `http://127.0.0.1:${this.routerPort}`,
      controlUrl,
      workers: this.workers().map((name) => {
        const deployment = this.state.current(name);
        const primary = this.primaryVersion(name);
        return {
          name,
          versions: this.state.versions(name).length,
          ...(deployment ? { deployment } : {}),
          ...(primary ? { primaryVersion: primary.id } : {}),
        };
      }),
      ...(this.defaultWorker() ? { defaultWorker: this.defaultWorker() } : {}),
    };
  }
}

interface WorkerRoute {
  ordered: SplitEntry[];
  versions: Map<string, VersionRecord>;
  byShort: Map<string, string>;
}

interface RouteTable {
  workers: Set<string>;
  defaultWorker: string | undefined;
  splits: Map<string, WorkerRoute>;
}

function publicVersion(v: VersionRecord): VersionInfo {
  return {
    id: v.id,
    worker: v.worker,
    createdAt: v.createdAt,
    ...(v.tag ? { tag: v.tag } : {}),
    ...(v.message ? { message: v.message } : {}),
    ...(v.annotations ? { annotations: v.annotations } : {}),
  };
}

/** A flag as the edge reports it: the fail mode is known when the app declared the flag to its ops admin route. */
export interface EdgeFlag extends FlagState {
  failMode?: "open" | "closed";
}

/** Accepts the ops route's list as an array or `{ flags: [...] }`. */
function parseFlags(body: unknown): EdgeFlag[] {
  const list = Array.isArray(body)
    ? body
    : typeof body === "object" && body !== null && Array.isArray((body as { flags?: unknown }).flags)
      ? (body as { flags: unknown[] }).flags
      : typeof body === "object" && body !== null && "name" in body
        ? [body]
        : [];
  return list
    .filter((f): f is Record<string, unknown> => typeof f === "object" && f !== null)
    .filter((f) => typeof f.name === "string")
    .map((f) => ({
      name: String(f.name),
      value: String(f.value ?? ""),
      ...(typeof f.updatedAt === "string" ? { updatedAt: f.updatedAt } : {}),
      ...(typeof f.actor === "string" ? { actor: f.actor } : {}),
      ...(f.failMode === "open" || f.failMode === "closed" ? { failMode: f.failMode } : {}),
    }));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(text);
}

/** Listens on 127.0.0.1 only. */
export function listen(server: Server, port: number): Promise<Server> {
  return new Promise((done, fail) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      fail(
        err.code === "EADDRINUSE"
          ? new BlastwallError(`port ${port} on 127.0.0.1 is taken`, {
              fix: "pick another with --port, or stop what uses it",
            })
          : err,
      ),
    );
    server.listen(port, "127.0.0.1", () => done(server));
  });
}
