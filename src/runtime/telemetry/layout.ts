/**
 * The shape of one `blastwall/telemetry` data point in Analytics Engine. The Worker writes it; the Cloudflare
 * platform reads it back through the SQL API. Both sides import this file, so the columns cannot drift apart.
 * Pure constants: no Workers or Node types, so it typechecks on both sides.
 */

/** index1: the Worker's name, the sampling key, so one busy Worker cannot thin another's data. */
export const TELEMETRY_COLUMNS = {
  worker: "index1",
  versionId: "blob1",
  statusClass: "blob2",
  versionTag: "blob3",
  /** The route label from the user's path patterns ("" when none are configured). */
  route: "blob4",
  status: "double1",
  bucketMs: "double2",
  latencyMs: "double3",
} as const;

/** Upper bounds (ms) of the latency buckets, ascending; a slower request falls in the overflow bucket. */
export const DEFAULT_LATENCY_BUCKETS_MS: readonly number[] = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

/** Stands for +Infinity in `bucketMs`: Analytics Engine doubles must be finite. */
export const OVERFLOW_BUCKET_MS = 1e9;

export type StatusClass = "1xx" | "2xx" | "3xx" | "4xx" | "5xx";

/** "2xx" for 204; anything outside 100-599 counts as a server error, as a broken Response would be. */
export function statusClassOf(status: number): StatusClass {
  if (status >= 100 && status < 200) return "1xx";
  if (status >= 200 && status < 300) return "2xx";
  if (status >= 300 && status < 400) return "3xx";
  if (status >= 400 && status < 500) return "4xx";
  return "5xx";
}

/** The upper bound of the first bucket that holds `latencyMs`, or OVERFLOW_BUCKET_MS. */
export function latencyBucketOf(latencyMs: number, bucketsMs: readonly number[] = DEFAULT_LATENCY_BUCKETS_MS): number {
  for (const bound of bucketsMs) if (latencyMs <= bound) return bound;
  return OVERFLOW_BUCKET_MS;
}
