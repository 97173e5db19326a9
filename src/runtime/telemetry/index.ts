import { resolveTelemetry, type TelemetryOptions } from "./options.js";

export {
  DEFAULT_LATENCY_BUCKETS_MS,
  latencyBucketOf,
  OVERFLOW_BUCKET_MS,
  type StatusClass,
  statusClassOf,
  TELEMETRY_COLUMNS,
} from "./layout.js";
export type { TelemetryOptions } from "./options.js";
export { type RequestSample, recordRequest, VERSION_HEADER, withVersionHeader } from "./record.js";
export { OTHER_ROUTE, type RoutePattern, routeOf } from "./routes.js";

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
export function withTelemetry<E, H extends ExportedHandler<E>>(handler: H, options: TelemetryOptions<E>): H {
  const inner = handler.fetch;
  if (!inner) return handler;
  const resolved = resolveTelemetry(options);
  const fetch: FetchHandler<E> = async (request, env, ctx) => {
    const req = resolved.begin(request.url, env);
    try {
      const response = await inner.call(handler, request, env, ctx);
      req.record(response.status);
      return req.name(response);
    } catch (err) {
      req.record(500);
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
}

/**
 * Hono middleware with the same effect as {@link withTelemetry}: `app.use(telemetry({...}))`.
 * Hono turns thrown errors into responses via `onError`, so the status recorded is the one the client saw, as
 * {@link withTelemetry} records it: an `HTTPException(401)` is a 4xx, not a failure of the version.
 *
 * @example
 * app.use(telemetry({ worker: "shop-api", dataset: (env) => env.TELEMETRY, version: (env) => env.CF_VERSION_METADATA }));
 */
export function telemetry<E>(options: TelemetryOptions<E>) {
  const resolved = resolveTelemetry(options);
  return async (c: MiddlewareContext<E>, next: () => Promise<void>): Promise<void> => {
    const req = resolved.begin(c.req.url, c.env);
    try {
      await next();
    } finally {
      const named = req.name(c.res);
      if (named !== c.res) c.res = named;
      req.record(c.res.status);
    }
  };
}
