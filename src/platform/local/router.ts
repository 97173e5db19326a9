import { Agent, type IncomingMessage, type ServerResponse } from "node:http";
import { BlastwallError } from "../../core/errors.js";
import { workerKinds } from "../../project/handlers.js";
import type { WranglerConfig } from "../../project/wrangler-config.js";
import type { SplitEntry } from "../platform.js";
import { EXCEPTION_HEADER, ROUTE_HEADER } from "./bundle.js";
import { short } from "./deployments.js";
import { header, plain } from "./http.js";
import type { RequestSample } from "./metrics.js";
import type { EdgeRuntime } from "./runtime.js";
import { chooseVersion, orderSplit } from "./split.js";
import type { EdgeState, VersionRecord } from "./state.js";
import { sendUpstream } from "./upstream.js";

/** Response header naming the version that served a request through the router. */
export const VERSION_HEADER = "x-blastwall-version";
/** Path prefix that picks a Worker when the Host header cannot: `/__worker/<name>/rest/of/path`. */
export const WORKER_PATH_PREFIX = "/__worker/";

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

export interface EdgeRouterOptions {
  state: EdgeState;
  runtime: EdgeRuntime;
  /** Every request that a version answered (or failed), for the metrics. */
  onRequest: (sample: RequestSample) => void;
  /** Explains a Worker's exception page with the next command to run, when the edge knows one. */
  hint?: (worker: string) => Promise<string | undefined>;
}

/**
 * The router: picks the Worker (Host label or `/__worker/<name>` prefix) and the version (override header, sticky
 * key, or a draw by the deployment's percentages), proxies the request to that version's socket and records it.
 *
 * @example
 * const router = new EdgeRouter({ state, runtime, onRequest: (s) => recorder.record(s) });
 * createServer((req, res) => void router.handle(req, res));
 */
export class EdgeRouter {
  private agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private table: RouteTable | undefined;

  constructor(private readonly options: EdgeRouterOptions) {}

  /** Versions or deployments changed: rebuild the table on the next request. */
  invalidate(): void {
    this.table = undefined;
  }

  /**
   * workerd restarted on the same ports: the pooled sockets point at the old process. Requests in flight have
   * finished (the reload waits for them), so the pool is dropped rather than handing out dead sockets.
   */
  runtimeRestarted(): void {
    this.invalidate();
    const old = this.agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 256 });
    old.destroy();
  }

  close(): void {
    this.agent.destroy();
  }

  /** The Worker that answers plain requests (see `defaultWorkerOf`). */
  defaultWorker(): string | undefined {
    return this.routeTable().defaultWorker;
  }

  private routeTable(): RouteTable {
    if (this.table) return this.table;
    const { state, runtime } = this.options;
    const workers = state.workers();
    const configs = runtime.projectConfigs();
    const deployed = workers.filter((w) => state.current(w));
    const splits = new Map<string, WorkerRoute>();
    for (const worker of deployed) {
      const deployment = state.current(worker);
      const versions = new Map(state.versions(worker).map((v) => [v.id, v]));
      if (!deployment) continue;
      const ordered = orderSplit({
        entries: deployment.versions.map((e) => ({ ...e, createdAt: versions.get(e.versionId)?.createdAt ?? "" })),
      });
      const byShort = new Map([...versions.keys()].map((id) => [short(id), id]));
      splits.set(worker, { ordered, versions, byShort });
    }
    this.table = {
      workers: new Set(workers),
      defaultWorker: defaultWorkerOf({
        deployed,
        configs,
        consumesQueues: (w) => (state.primary(w)?.bindings.consumers.length ?? 0) > 0,
      }),
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

  /** The version that serves a request, or the 503 page that names the command to run next. */
  private pickVersion(req: IncomingMessage, worker: string | undefined): VersionRecord | string {
    if (!worker)
      return "no Worker is deployed on the local edge.\nNext: blastwall versions upload, then blastwall versions deploy <version-id>@100\n";
    const split = this.routeTable().splits.get(worker);
    if (!split) {
      const uploaded = this.options.state.versions(worker).at(-1);
      return uploaded
        ? `${worker} has no deployment.\nNext: blastwall versions deploy ${short(uploaded.id)}@100 --worker ${worker}\n`
        : `no Worker named ${worker} on the local edge.\nNext: blastwall versions upload --worker ${worker}\n`;
    }
    const choice = chooseVersion({
      worker,
      ordered: split.ordered,
      overrideHeader: header(req, "cloudflare-workers-version-overrides"),
      keyHeader: header(req, "cloudflare-workers-version-key"),
      matchOverride: (value) => (split.versions.has(value) ? value : split.byShort.get(value)),
    });
    const version = choice && split.versions.get(choice.versionId);
    if (!version || !this.options.runtime.url(version.runtimeName)) {
      return `${worker}: the deployment names no runnable version.\nNext: blastwall local status, then blastwall versions deploy\n`;
    }
    return version;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const { runtime } = this.options;
    await runtime.enter();
    let entered = true;
    const leave = () => {
      if (entered) runtime.leave();
      entered = false;
    };
    try {
      const { worker, path } = this.pickWorker(req);
      const version = this.pickVersion(req, worker);
      if (typeof version === "string" || !worker) {
        leave();
        return plain(res, 503, typeof version === "string" ? version : "no Worker\n");
      }
      this.proxy({ req, res, worker, path, version, started, leave });
    } catch (err) {
      leave();
      throw err;
    }
  }

  private proxy({ req, res, worker, path, version, started, leave }: ProxyOptions): void {
    const target = this.options.runtime.url(version.runtimeName);
    if (!target) throw new BlastwallError(`${version.runtimeName} is not running`, { kind: "failure" });
    let done = false;
    // Status 499 (client closed) when the client leaves before the version answers.
    let status = 499;
    let exception = false;
    let route: string | undefined;
    const upstream = sendUpstream({
      target,
      req,
      path,
      agent: this.agent,
      onResponse: (up) => {
        status = up.statusCode ?? 502;
        exception = up.headers[EXCEPTION_HEADER] !== undefined;
        route = routeLabel(up.headers[ROUTE_HEADER]);
        const out: Record<string, string | string[] | undefined> = { ...up.headers, [VERSION_HEADER]: version.id };
        delete out[EXCEPTION_HEADER];
        delete out[ROUTE_HEADER];
        if (exception) void this.explain({ worker, status, headers: out, res, up });
        else {
          res.writeHead(status, out);
          up.pipe(res);
        }
      },
      onError: (err) => {
        status = 502;
        exception = true;
        if (!res.headersSent) plain(res, 502, `local edge: ${version.runtimeName} did not answer: ${err.message}\n`);
        else res.destroy(err);
      },
    });
    res.on("close", () => {
      if (!res.writableFinished) upstream.destroy();
      if (done) return;
      done = true;
      leave();
      const latencyMs = performance.now() - started;
      this.options.onRequest({
        worker,
        versionId: version.id,
        status,
        latencyMs,
        exception,
        ...(route ? { route } : {}),
      });
    });
  }

  /** The entry wrapper's exception page (never the app's own body), with the next command when the edge knows one. */
  private async explain({ worker, status, headers, res, up }: ExplainOptions): Promise<void> {
    const hint = await this.options.hint?.(worker).catch(() => undefined);
    if (!hint) {
      res.writeHead(status, headers);
      up.pipe(res);
      return;
    }
    up.resume();
    const { "content-length": _length, ...rest } = headers;
    res.writeHead(status, { ...rest, "content-type": "text/plain; charset=utf-8" });
    res.end(`Worker threw exception.\n${hint}\n`);
  }
}

/** The route label the entry wrapper passed on (URI-encoded), if any. */
function routeLabel(value: string | string[] | undefined): string | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

export interface DefaultWorkerOptions {
  /** The Workers with a deployment. */
  deployed: readonly string[];
  /** The project's configs, in config order. */
  configs: readonly WranglerConfig[];
  /** For a Worker without a config: whether its version in force consumes a queue. */
  consumesQueues: (worker: string) => boolean;
}

/**
 * The Worker that answers plain requests: the first deployed Worker, in config order, that serves HTTP (its entry
 * exports `fetch`, see `workerKinds`), even if it also consumes a queue; else the first deployed one.
 *
 * @example
 * defaultWorkerOf({ deployed: ["jobs", "api"], configs, consumesQueues }); // "api" when only api exports fetch
 */
export function defaultWorkerOf({ deployed, configs, consumesQueues }: DefaultWorkerOptions): string | undefined {
  const order = configs.map((c) => c.name ?? "");
  const rank = (w: string) => (order.indexOf(w) < 0 ? Number.MAX_SAFE_INTEGER : order.indexOf(w));
  const sorted = [...deployed].sort((a, b) => rank(a) - rank(b));
  const servesHttp = (w: string) => {
    const config = configs.find((c) => c.name === w);
    return config ? workerKinds(config).includes("http") : !consumesQueues(w);
  };
  return sorted.find(servesHttp) ?? sorted[0];
}

interface ProxyOptions {
  req: IncomingMessage;
  res: ServerResponse;
  worker: string;
  path: string;
  version: VersionRecord;
  started: number;
  leave: () => void;
}

interface ExplainOptions {
  worker: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  res: ServerResponse;
  up: IncomingMessage;
}
