/**
 * The canary analysis defaults, in one place: the config resolver (`project`), the analysis itself (`release`) and
 * the docs read these values, so they cannot drift apart. Pure constants; no imports.
 */

/** The latency quantiles the analysis compares, read from the stable version's pre-release data. */
export type LatencyQuantileName = "p50" | "p90" | "p99";

export const ANALYSIS_DEFAULTS = {
  /** Bound on the probability of rolling back a healthy canary, over the whole release. */
  alpha: 0.01,
  /** Relative increase tolerated before a difference counts (errors: rate ratio; latency: on the latency scale). */
  toleratedIncrease: 0.05,
  /** Quantiles of the stable version's pre-release latency the canary is compared at; [] turns latency off. */
  latencyQuantiles: ["p50", "p90", "p99"] as readonly LatencyQuantileName[],
  /** Canary requests below which the analysis holds (never passes). */
  minSamples: 100,
  /** Seconds of pre-release data read before the ramp: latency bounds, dispersion and traffic come from it. */
  preReleaseSeconds: 600,
  /** Stable requests the pre-release window needs before latency bounds are frozen from it. */
  minPreReleaseRequests: 200,
  /** Seconds a ramp step may wait for data before the release pauses for a human. */
  noDataDeadlineSeconds: 900,
  /** What a passed deadline or missing data does: pause (never roll back by default, see docs/release.md). */
  noDataAction: "pause" as "pause" | "rollback",
  /** Relative tolerance of the sample-ratio test on the canary's share of requests (odds scale). */
  srmTolerance: 0.2,
  /**
   * A queue consumer's batch size when the config does not say (Cloudflare's default): a failed batch is
   * dead-lettered at once, so DLQ messages come in bursts of up to this many on one version.
   */
  queueBatchSize: 10,
  /** The largest `max_batch_size` Cloudflare Queues allows: the burst bound of a DLQ whose consumer is not known. */
  queueMaxBatchSize: 100,
} as const;
