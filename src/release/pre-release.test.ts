import { describe, expect, it } from "vitest";
import type { MetricsQuery, PlatformSignals, VersionMetrics } from "../platform/platform.js";
import { readPreRelease } from "./pre-release.js";

/** A stable version whose latency swings window by window: in every other window most requests are slow. */
function swingingPlatform(): PlatformSignals {
  return {
    async metrics(q: MetricsQuery): Promise<VersionMetrics[]> {
      const slowShare = Math.floor(q.since.getTime() / 10_000) % 2 === 0 ? 0.9 : 0.1;
      const requests = (q.until?.getTime() ?? q.since.getTime()) - q.since.getTime() > 10_000 ? 60_000 : 1000;
      const slow = Math.round(requests * slowShare);
      return [
        {
          versionId: "stable",
          requests,
          status: { "2xx": requests, "3xx": 0, "4xx": 0, "5xx": 0 },
          exceptions: 0,
          latency: { p50: 20, p90: 200, p95: 250, p99: 400 },
          slowerThan: Object.fromEntries((q.slowerThanMs ?? []).map((b) => [String(b), slow])),
        },
      ];
    },
    async extraSignals() {
      return { dlqMessages: {}, durableObjectErrors: {} };
    },
  };
}

const OPTIONS = {
  worker: "api",
  stable: "stable",
  now: new Date(Date.UTC(2026, 11, 4, 10, 0, 0)),
  pollSeconds: 10,
  latencyQuantiles: ["p50", "p90"] as const,
  watch: { queues: [], durableObjects: [] },
};

describe("readPreRelease", () => {
  it("tempers the latency test by the stable version's own latency swings", async () => {
    const { preRelease } = await readPreRelease({ ...OPTIONS, platform: swingingPlatform() });
    expect(preRelease.latencyDispersion?.p50?.fano).toBeGreaterThan(10);
  });

  it("does not temper it when both versions share one host, where load moves both together", async () => {
    const { preRelease } = await readPreRelease({ ...OPTIONS, platform: swingingPlatform(), sharedHost: true });
    expect(preRelease.latencyDispersion).toEqual({});
    expect(preRelease.latency?.p50).toBe(20);
  });

  it("reads each poll window once, counts and watched signals together", async () => {
    const base = swingingPlatform();
    const reads = { metrics: [] as string[], extraSignals: [] as string[] };
    const key = (q: { since: Date; until?: Date }) => `${q.since.getTime()}-${q.until?.getTime()}`;
    const platform: PlatformSignals = {
      async metrics(q) {
        reads.metrics.push(key(q));
        return base.metrics(q);
      },
      async extraSignals(q) {
        reads.extraSignals.push(key(q));
        // A dead-lettered batch of 8 in every third window.
        return { dlqMessages: { dlq: q.since.getTime() % 30_000 === 0 ? 8 : 0 }, durableObjectErrors: {} };
      },
    };
    const { preRelease } = await readPreRelease({
      ...OPTIONS,
      platform,
      watch: { queues: ["dlq"], durableObjects: [] },
      queueBatchSize: 5,
    });
    // One read of the whole pre-release window plus 30 poll windows, each asked once of each source.
    expect(reads.metrics).toHaveLength(31);
    expect(new Set(reads.metrics).size).toBe(31);
    expect([...reads.extraSignals].sort()).toEqual([...reads.metrics].sort());
    expect(preRelease.dlqDispersion?.fano).toBeGreaterThan(5);
    expect(preRelease.durableObjectDispersion?.fano).toBe(1);
  });
});
