import { ANALYSIS_DEFAULTS, type LatencyQuantileName } from "../core/analysis-defaults.js";
import type { PlatformSignals, VersionMetrics } from "../platform/platform.js";
import type { PreRelease } from "./analysis/analyze.js";
import {
  atLeastBursts,
  type DispersionWindow,
  estimateCountDispersion,
  estimateDispersion,
} from "./analysis/dispersion.js";
import type { Traffic } from "./analysis/sample-size.js";
import { errorsOf, slowerThan } from "./analysis/strata.js";

/**
 * What the analysis fixes before the ramp, read from the stable version's own traffic before the release: the
 * latency bounds (exact quantiles), the dispersion of its counts between poll-sized windows, the watched signals'
 * rates, and the traffic level the minimum samples derive from.
 */

export interface PreReleaseReadOptions {
  platform: PlatformSignals;
  worker: string;
  /** The version serving before the release. */
  stable: string;
  env?: string;
  now: Date;
  pollSeconds: number;
  latencyQuantiles: readonly LatencyQuantileName[];
  watch: { queues: string[]; durableObjects: string[] };
  seconds?: number;
  /** The largest batch of the consumers whose dead letters are watched: DLQ messages come in bursts of up to it. */
  queueBatchSize?: number;
  /** Both versions share one host (MetricsIngestion.sharedHost): latency variation is common to them, not tempered. */
  sharedHost?: boolean;
}

export interface PreReleaseRead {
  preRelease: PreRelease;
  traffic: Traffic;
  /** What could not be read, and what the analysis does without it. */
  notes: string[];
}

/** At most this many poll-sized windows are read for the dispersion estimate. */
const DISPERSION_WINDOWS = 30;

/**
 * One query over the whole pre-release window: the Worker's traffic and the stable version's error rate and
 * latency. `plan` needs only this.
 *
 * @example
 * const { traffic } = await readTraffic({ platform, worker: "api", stable, now: new Date() });
 */
export async function readTraffic({
  platform,
  worker,
  stable,
  env,
  now,
  seconds = ANALYSIS_DEFAULTS.preReleaseSeconds,
}: Pick<PreReleaseReadOptions, "platform" | "worker" | "stable" | "env" | "now" | "seconds">): Promise<{
  traffic: Traffic;
  stable: VersionMetrics | undefined;
}> {
  const since = new Date(now.getTime() - seconds * 1000);
  const all = await platform.metrics({ worker, since, until: now, ...(env ? { env } : {}) });
  const s = all.find((m) => m.versionId === stable);
  const total = all.reduce((a, m) => a + m.requests, 0);
  const errorRate = s && s.requests > 0 ? errorsOf(s) / s.requests : 0;
  return { traffic: { rps: total / seconds, errorRate, seconds }, stable: s };
}

/** Poll-sized windows [since, until) back from `now`, oldest first. */
function windowRanges(o: PreReleaseReadOptions): { since: Date; until: Date }[] {
  const total = o.seconds ?? ANALYSIS_DEFAULTS.preReleaseSeconds;
  const count = Math.min(DISPERSION_WINDOWS, Math.floor(total / o.pollSeconds));
  const out: { since: Date; until: Date }[] = [];
  for (let i = count; i >= 1; i--) {
    const until = new Date(o.now.getTime() - (i - 1) * o.pollSeconds * 1000);
    out.push({ since: new Date(until.getTime() - o.pollSeconds * 1000), until });
  }
  return out;
}

/** One poll-sized window of the stable version's counts, with the watched signals' totals when they are watched. */
interface PreReleaseWindow {
  stable: VersionMetrics | undefined;
  dlq: number;
  objects: number;
}

/**
 * Poll-sized windows back from `now`, oldest first, each read once: the stable version's counts (for the
 * dispersion of its errors, latency and requests) and, when signals are watched, their totals in the same window
 * (for their bursts).
 */
async function readWindows(o: PreReleaseReadOptions, bounds: number[]): Promise<PreReleaseWindow[]> {
  const { queues, durableObjects } = o.watch;
  const watched = queues.length > 0 || durableObjects.length > 0;
  const env = o.env ? { env: o.env } : {};
  const sum = (r: Record<string, number>, keys: string[]) => keys.reduce((a, k) => a + (r[k] ?? 0), 0);
  const out: PreReleaseWindow[] = [];
  for (const { since, until } of windowRanges(o)) {
    const [rows, signals] = await Promise.all([
      o.platform.metrics({ worker: o.worker, since, until, slowerThanMs: bounds, ...env }),
      watched ? o.platform.extraSignals({ worker: o.worker, since, until, queues, durableObjects, ...env }) : undefined,
    ]);
    out.push({
      stable: rows.find((r) => r.versionId === o.stable),
      dlq: signals ? sum(signals.dlqMessages, queues) : 0,
      objects: signals ? sum(signals.durableObjectErrors, durableObjects) : 0,
    });
  }
  return out;
}

/**
 * The watched signals' bursts (a batch dead-lettered at once, one hot object failing again and again) spread the
 * canary's share of an attributed signal, so its test is tempered by them.
 */
function signalDispersion(
  o: PreReleaseReadOptions,
  windows: readonly PreReleaseWindow[],
): Pick<PreRelease, "dlqDispersion" | "durableObjectDispersion"> {
  if (o.watch.queues.length === 0 && o.watch.durableObjects.length === 0) return {};
  const batch = o.queueBatchSize ?? ANALYSIS_DEFAULTS.queueBatchSize;
  return {
    dlqDispersion: atLeastBursts(estimateCountDispersion(windows.map((w) => w.dlq)), batch),
    durableObjectDispersion: estimateCountDispersion(windows.map((w) => w.objects)),
  };
}

async function readSignalRates(
  o: PreReleaseReadOptions,
): Promise<Pick<PreRelease, "dlqPerSecond" | "durableObjectErrorsPerSecond">> {
  const { queues, durableObjects } = o.watch;
  if (queues.length === 0 && durableObjects.length === 0) return {};
  const seconds = o.seconds ?? ANALYSIS_DEFAULTS.preReleaseSeconds;
  const s = await o.platform.extraSignals({
    worker: o.worker,
    since: new Date(o.now.getTime() - seconds * 1000),
    until: o.now,
    queues,
    durableObjects,
    ...(o.env ? { env: o.env } : {}),
  });
  const sum = (r: Record<string, number>, keys: string[]) => keys.reduce((a, k) => a + (r[k] ?? 0), 0);
  return {
    dlqPerSecond: sum(s.dlqMessages, queues) / seconds,
    durableObjectErrorsPerSecond: sum(s.durableObjectErrors, durableObjects) / seconds,
  };
}

/**
 * Reads everything the analysis fixes before the ramp.
 *
 * @example
 * const { preRelease, notes } = await readPreRelease({ platform, worker, stable, now, pollSeconds: 10,
 *   latencyQuantiles: ["p50", "p90", "p99"], watch: { queues: [], durableObjects: [] } });
 */
export async function readPreRelease(o: PreReleaseReadOptions): Promise<PreReleaseRead> {
  const notes: string[] = [];
  const { traffic, stable } = await readTraffic(o);
  const requests = stable?.requests ?? 0;
  const latency = stable?.latency;
  const quantiles = o.latencyQuantiles.filter((q) => latency?.[q] !== undefined);
  for (const q of o.latencyQuantiles) {
    if (!quantiles.includes(q)) notes.push(`the platform gives no ${q} latency: it is left out of the latency test`);
  }
  if (quantiles.length > 0 && requests < ANALYSIS_DEFAULTS.minPreReleaseRequests) {
    notes.push(
      `only ${requests} stable requests in the ${traffic.seconds} s before the release (< ${ANALYSIS_DEFAULTS.minPreReleaseRequests}): no latency bound can be frozen, the latency test is off`,
    );
  }
  const bounds = quantiles.flatMap((q) => (latency?.[q] !== undefined ? [latency[q] as number] : []));
  const read = await readWindows(o, bounds);
  const windows = read.flatMap((w) => (w.stable ? [w.stable] : []));
  const errorWindows: DispersionWindow[] = windows.map((m) => ({ trials: m.requests, hits: errorsOf(m) }));
  const latencyDispersion: PreRelease["latencyDispersion"] = {};
  for (const q of o.sharedHost ? [] : quantiles) {
    const bound = latency?.[q];
    if (bound === undefined) continue;
    latencyDispersion[q] = estimateDispersion(
      windows.map((m) => ({ trials: m.requests, hits: slowerThan(m, bound) ?? 0 })),
    );
  }
  return {
    preRelease: {
      requests,
      seconds: traffic.seconds,
      ...(latency ? { latency } : {}),
      errorDispersion: estimateDispersion(errorWindows),
      requestDispersion: estimateCountDispersion(windows.map((m) => m.requests)),
      latencyDispersion,
      ...(await readSignalRates(o)),
      ...signalDispersion(o, read),
    },
    traffic,
    notes,
  };
}
