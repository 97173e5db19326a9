import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { LogLevel } from "miniflare";
import type { Deployment } from "../platform.js";
import { EdgeAnalysis } from "./analysis.js";
import { EdgeDatabases } from "./databases.js";
import { EdgeDeployments } from "./deployments.js";
import { EdgeFlags } from "./flags.js";
import { listen, plain } from "./http.js";
import { EdgeQueues } from "./queues.js";
import { EdgeRouter } from "./router.js";
import { EdgeRuntime } from "./runtime.js";
import { EdgeSignals, type MetricsModel } from "./signals.js";
import { type EdgePaths, EdgeState, edgePaths } from "./state.js";

export { listen } from "./http.js";
export { VERSION_HEADER, WORKER_PATH_PREFIX } from "./router.js";

export interface EdgeOptions {
  projectDir: string;
  /** Router port on 127.0.0.1; 0 picks a free one. */
  port?: number;
  /** Bearer token of the control API; generated when absent. */
  token?: string;
  log?: (line: string) => void;
  /** Miniflare's own log level (worker console output is always shown). */
  logLevel?: LogLevel;
  /** How long metrics, signals and analysis records are kept (they persist in the state folder). */
  retentionSeconds?: number;
  /** How metrics reach queries: immediate by default, `likeCloudflare()` for lag and sampling. */
  metrics?: MetricsModel;
}

export interface EdgeStatus {
  pid: number;
  startedAt: string;
  projectDir: string;
  routerUrl: string;
  controlUrl: string;
  workers: { name: string; versions: number; deployment?: Deployment; primaryVersion?: string }[];
  defaultWorker?: string;
  /** How metrics reach queries (`sampleAbovePerSecond` is null when nothing is sampled). */
  metrics: { lagSeconds: number; sampleAbovePerSecond: number | null };
}

/**
 * The local edge, one part per concern: `runtime` (workerd and its gate), `router`, `deployments`, `signals`
 * (metrics and attributed signals), `queues`, `flags`, `databases` (D1) and `analysis` (the release's polls).
 * The control API (control.ts) exposes each part; nothing else holds state.
 *
 * @example
 * const edge = await Edge.start({ projectDir: "examples/shop", port: 0 });
 * await edge.deployments.deploy("shop-api", [{ versionId, percentage: 100 }]);
 * await edge.stop();
 */
export class Edge {
  readonly paths: EdgePaths;
  readonly token: string;
  readonly adminToken = randomBytes(24).toString("hex");
  readonly startedAt = new Date().toISOString();
  readonly state: EdgeState;
  readonly runtime: EdgeRuntime;
  readonly router: EdgeRouter;
  readonly deployments: EdgeDeployments;
  readonly queues: EdgeQueues;
  readonly signals: EdgeSignals;
  readonly flags: EdgeFlags;
  readonly databases: EdgeDatabases;
  readonly analysis: EdgeAnalysis;
  routerPort = 0;
  private server: Server | undefined;

  private constructor(
    readonly projectDir: string,
    { token, log = () => {}, logLevel = LogLevel.WARN, retentionSeconds, metrics }: Omit<EdgeOptions, "projectDir">,
  ) {
    const paths = edgePaths(projectDir);
    this.paths = paths;
    mkdirSync(paths.root, { recursive: true });
    this.token = token ?? randomBytes(24).toString("hex");
    const state = new EdgeState(paths.stateFile);
    this.state = state;
    const services = {
      broker: (req: Request) => this.queues.endpoint(req),
      signals: (req: Request) => this.signals.endpoint(req),
    };
    const runtime = new EdgeRuntime({ projectDir, paths, state, adminToken: this.adminToken, logLevel, services });
    this.runtime = runtime;
    this.queues = new EdgeQueues({ file: paths.queuesDb, state, runtime, log });
    this.signals = new EdgeSignals({
      file: paths.signalsDb,
      state,
      broker: this.queues.broker,
      dlqOf: (q) => this.queues.dlqOf(q),
      ...(retentionSeconds ? { retentionSeconds } : {}),
      ...(metrics ? { model: metrics } : {}),
    });
    this.databases = new EdgeDatabases({ projectDir, paths, state, runtime });
    this.router = new EdgeRouter({
      state,
      runtime,
      onRequest: (s) => this.signals.record(s),
      hint: (w) => this.databases.pendingHint(w),
    });
    runtime.onRestart = () => this.router.runtimeRestarted();
    this.deployments = new EdgeDeployments({
      projectDir,
      paths,
      state,
      runtime,
      onChange: () => this.router.invalidate(),
    });
    this.flags = new EdgeFlags({
      state,
      runtime,
      adminToken: this.adminToken,
      defaultWorker: () => this.router.defaultWorker(),
    });
    this.analysis = new EdgeAnalysis({
      file: paths.recordsDb,
      ...(retentionSeconds ? { retentionSeconds } : {}),
    });
  }

  /** Starts the router first (a taken port fails fast; requests wait at the gate), then workerd and the broker. */
  static async start({ projectDir, port = 8787, log = (l) => process.stderr.write(`${l}\n`), ...rest }: EdgeOptions) {
    const edge = new Edge(resolve(projectDir), { log, ...rest });
    const open = edge.runtime.closeGate();
    try {
      edge.server = await listen(
        createServer((req, res) => {
          edge.router.handle(req, res).catch((err: unknown) => {
            log(`router: ${(err as Error).stack ?? String(err)}`);
            if (!res.headersSent) plain(res, 500, "local edge: router error (see .blastwall/local/edge.log)\n");
            else res.destroy();
          });
        }),
        port,
      );
      edge.routerPort = (edge.server.address() as AddressInfo).port;
      await edge.runtime.start();
      edge.queues.broker.start();
    } catch (err) {
      await edge.stop();
      throw err;
    } finally {
      open();
    }
    return edge;
  }

  /** Called after workerd restarted with a new config (the daemon records the new workerd pid). */
  set onRuntimeRestart(fn: (() => void) | undefined) {
    this.runtime.onRestart = () => {
      this.router.runtimeRestarted();
      fn?.();
    };
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server) {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    }
    await this.queues.broker.stop();
    this.router.close();
    await this.runtime.stop();
    this.signals.close();
    this.analysis.close();
  }

  /** A version's own socket, bypassing the router (the bench compares the two). */
  directUrl(worker: string, versionRef: string): URL {
    const v = this.state.resolveVersion(worker, versionRef);
    const url = this.runtime.url(v.runtimeName);
    if (!url) throw new Error(`${v.runtimeName} is not running`);
    return url;
  }

  status(controlUrl: string): EdgeStatus {
    const defaultWorker = this.router.defaultWorker();
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      projectDir: this.projectDir,
      routerUrl: `http://127.0.0.1:${this.routerPort}`,
      controlUrl,
      workers: this.state.workers().map((name) => {
        const deployment = this.state.current(name);
        const primary = this.state.primary(name);
        return {
          name,
          versions: this.state.versions(name).length,
          ...(deployment ? { deployment } : {}),
          ...(primary ? { primaryVersion: primary.id } : {}),
        };
      }),
      ...(defaultWorker ? { defaultWorker } : {}),
      metrics: {
        lagSeconds: this.signals.model.lagSeconds,
        sampleAbovePerSecond: Number.isFinite(this.signals.model.sampleAbovePerSecond)
          ? this.signals.model.sampleAbovePerSecond
          : null,
      },
    };
  }
}
