import { DEFAULT_LATENCY_BUCKETS_MS, latencyBucketOf, statusClassOf } from "./layout.js";

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
