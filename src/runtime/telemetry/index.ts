import { DEFAULT_LATENCY_BUCKETS_MS, latencyBucketOf, statusClassOf } from "./layout.js";
import { type RoutePattern, routeOf } from "./routes.js";

export {
  DEFAULT_LATENCY_BUCKETS_MS,
  latencyBucketOf,
  OVERFLOW_BUCKET_MS,
  type StatusClass,
  statusClassOf,
  TELEMETRY_COLUMNS,
} from "./layout.js";
export { OTHER_ROUTE, type RoutePattern, routeOf } from "./routes.js";

/** What one request looked like, as `blastwall/telemetry` records it. */
export interface RequestSample {
  worker: string;
  versionId: string;
  versionTag?: string;
  status: number;
  latencyMs: number;
  /** The route label (see `routes` in the options); "" when none. */
  route?: string;
}

export interface TelemetryOptions<E> {
  /** The Worker's name; it becomes the data point's index (the sampling key). */
  worker: string;
  /** The Analytics Engine binding to write to, e.g. `(env) => env.TELEMETRY`. Missing binding: nothing is written. */
  dataset: (env: E) => AnalyticsEngineDataset | undefined;
  /** The version metadata binding, e.g. `(env) => env.CF_VERSION_METADATA`. Missing: the version is "unknown". */
  version?: (env: E) => WorkerVersionMetadata | undefined;
  /** Latency bucket upper bounds in ms, ascending. */
  bucketsMs?: readonly number[];
  /**
   * Path patterns → route labels, first match wins (`:id` one segment, trailing `*` the rest); unmatched paths
   * are "other". The release analysis compares versions within each route.
   */
  routes?: readonly RoutePattern[];
  /**
   * Set `x-blastwall-version: <version id>` on every response (default true, when the version metadata binding
   * is there), so `release` can verify which version answered its smoke checks.
   */
  versionHeader?: boolean;
}

/** The response header naming the version that answered; `release`'s smoke checks wait for the candidate's id. */
export const VERSION_HEADER = "x-blastwall-version";

/**
 * The response with `x-blastwall-version` set. A fetched or redirect response has immutable headers, so it is
 * copied then; a WebSocket upgrade is returned untouched (copying would drop its socket).
 *
 * @example
 * return withVersionHeader(await fetch(request), env.CF_VERSION_METADATA.id);
 */
export function withVersionHeader(response: Response, versionId: string | undefined): Response {
  if (!versionId || response.status === 101 || response.webSocket) return response;
  try {
    response.headers.set(VERSION_HEADER, versionId);
    return response;
  } catch {
    const copy = new Response(response.body, response);
    copy.headers.set(VERSION_HEADER, versionId);
    return copy;
  }
}

/**
 * Writes one data point for one request. `writeDataPoint` returns void and queues the write inside the runtime,
 * so nothing here is awaited and the response is never held back by telemetry. A throwing binding is swallowed:
 * losing a sample must never fail a request.
 *
 * @example
 * recordRequest(env.TELEMETRY, { worker: "shop-api", versionId: env.CF_VERSION_METADATA.id, status: 200, latencyMs: 12 });
 */
export function recordRequest(
  dataset: AnalyticsEngineDataset | undefined,
  { worker, versionId, versionTag = "", status, latencyMs, route = "" }: RequestSample,
  bucketsMs: readonly number[] = DEFAULT_LATENCY_BUCKETS_MS,
): void {
  if (!dataset) return;
  try {
    dataset.writeDataPoint({
      indexes: [worker],
      blobs: [versionId, statusClassOf(status), versionTag, route],
      doubles: [status, latencyBucketOf(latencyMs, bucketsMs), latencyMs],
    });
  } catch {
    // Telemetry is best effort by design; the request's own outcome matters more.
  }
}

type FetchHandler<E> = NonNullable<ExportedHandler<E>["fetch"]>;

/**
 * Wraps a Worker's `fetch` so that every request writes one data point: version id, status class and latency
 * bucket, and every response names its version (`x-blastwall-version`). A handler that throws is recorded as a
 * 500 and the error is rethrown unchanged, so the runtime still counts the exception.
 *
 * @example
 * export default withTelemetry<Env, typeof app>(app, {
 *   worker: "shop-api",
 *   dataset: (env) => env.TELEMETRY,
 *   version: (env) => env.CF_VERSION_METADATA,
 * });
 */
export function withTelemetry<E, H extends ExportedHandler<E>>(
  handler: H,
  {
    worker,
    dataset,
    version,
    bucketsMs = DEFAULT_LATENCY_BUCKETS_MS,
    routes = [],
    versionHeader = true,
  }: TelemetryOptions<E>,
): H {
  const inner = handler.fetch;
  if (!inner) return handler;
  const fetch: FetchHandler<E> = async (request, env, ctx) => {
    const started = Date.now();
    const meta = version?.(env);
    const route = routes.length > 0 ? routeOf(new URL(request.url).pathname, routes) : "";
    const sample = (status: number) =>
      recordRequest(
        dataset(env),
        {
          worker,
          versionId: meta?.id ?? "unknown",
          versionTag: meta?.tag ?? "",
          status,
          latencyMs: Date.now() - started,
          route,
        },
        bucketsMs,
      );
    try {
      const response = await inner.call(handler, request, env, ctx);
      sample(response.status);
      return versionHeader ? withVersionHeader(response, meta?.id) : response;
    } catch (err) {
      sample(500);
      throw err;
    }
  };
  return { ...handler, fetch };
}

/** The part of Hono's middleware contract this needs, so hono stays an optional peer. */
interface MiddlewareContext<E> {
  env: E;
  req: { url: string };
  res: Response;
  error?: Error;
}

/**
 * Hono middleware with the same effect as {@link withTelemetry}: `app.use(telemetry({...}))`.
 * Hono turns thrown errors into responses via `onError`, so the status recorded is the one the client saw.
 *
 * @example
 * app.use(telemetry({ worker: "shop-api", dataset: (env) => env.TELEMETRY, version: (env) => env.CF_VERSION_METADATA }));
 */
export function telemetry<E>({
  worker,
  dataset,
  version,
  bucketsMs = DEFAULT_LATENCY_BUCKETS_MS,
  routes = [],
  versionHeader = true,
}: TelemetryOptions<E>) {
  return async (c: MiddlewareContext<E>, next: () => Promise<void>): Promise<void> => {
    const started = Date.now();
    const route = routes.length > 0 ? routeOf(new URL(c.req.url).pathname, routes) : "";
    try {
      await next();
    } finally {
      const meta = version?.(c.env);
      if (versionHeader) {
        const named = withVersionHeader(c.res, meta?.id);
        if (named !== c.res) c.res = named;
      }
      recordRequest(
        dataset(c.env),
        {
          worker,
          versionId: meta?.id ?? "unknown",
          versionTag: meta?.tag ?? "",
          status: c.error && c.res.status < 500 ? 500 : c.res.status,
          latencyMs: Date.now() - started,
          route,
        },
        bucketsMs,
      );
    }
  };
}
