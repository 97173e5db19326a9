import { DEFAULT_LATENCY_BUCKETS_MS } from "./layout.js";
import { recordRequest, withVersionHeader } from "./record.js";
import { type RoutePattern, routeOf } from "./routes.js";

/** What `withTelemetry` and the `telemetry` middleware take; {@link resolveTelemetry} fills in the defaults. */
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

/** One request being timed: its start, route label and version are fixed when it begins. */
export interface RequestTelemetry {
  /** Writes the request's data point with the status the client saw. */
  record(status: number): void;
  /** The response naming the version that answered; unchanged when the header is off or the version unknown. */
  name(response: Response): Response;
}

/** Telemetry options resolved once, per Worker: every request begins here. */
export interface ResolvedTelemetry<E> {
  begin(url: string, env: E): RequestTelemetry;
}

/**
 * The one place the telemetry defaults and the route lookup live, so `withTelemetry` and the Hono middleware
 * record the same fields for the same request. With no routes configured the label is "" (no URL parsing).
 *
 * @example
 * const t = resolveTelemetry<Env>({ worker: "shop-api", dataset: (env) => env.TELEMETRY });
 * const req = t.begin(request.url, env);
 * req.record(response.status);
 * return req.name(response);
 */
export function resolveTelemetry<E>({
  worker,
  dataset,
  version,
  bucketsMs = DEFAULT_LATENCY_BUCKETS_MS,
  routes = [],
  versionHeader = true,
}: TelemetryOptions<E>): ResolvedTelemetry<E> {
  const routeLabel = routes.length > 0 ? (url: string) => routeOf(new URL(url).pathname, routes) : () => "";
  return {
    begin(url, env) {
      const started = Date.now();
      const route = routeLabel(url);
      const meta = version?.(env);
      return {
        record(status) {
          const sample = {
            worker,
            versionId: meta?.id ?? "unknown",
            versionTag: meta?.tag ?? "",
            status,
            latencyMs: Date.now() - started,
            route,
          };
          recordRequest(dataset(env), sample, bucketsMs);
        },
        name: (response) => (versionHeader ? withVersionHeader(response, meta?.id) : response),
      };
    },
  };
}
