import { describe, expect, it } from "vitest";
import { countAbove, LATENCY_BOUNDS_MS, MetricsRecorder, summarize } from "./metrics.js";

describe("metrics recorder", () => {
  it("sums a window per version with status classes, exceptions and latency", () => {
    const m = new MetricsRecorder();
    const t = Date.parse("2026-01-01T00:00:10Z");
    for (let i = 0; i < 100; i++)
      m.record({ worker: "w", versionId: "a", status: 200, latencyMs: i + 1, exception: false, at: t });
    m.record({ worker: "w", versionId: "b", status: 503, latencyMs: 5, exception: false, at: t + 1000 });
    m.record({ worker: "w", versionId: "b", status: 500, latencyMs: 5, exception: true, at: t + 1000 });
    m.record({ worker: "w", versionId: "b", status: 404, latencyMs: 5, exception: false, at: t + 60_000 });
    const out = m.query("w", new Date(t), new Date(t + 2000), [50]);
    const a = out.find((x) => x.versionId === "a");
    const b = out.find((x) => x.versionId === "b");
    expect(a?.requests).toBe(100);
    expect(a?.status["2xx"]).toBe(100);
    expect(a?.latency.p50).toBeGreaterThanOrEqual(50);
    expect(a?.latency.p50).toBeLessThanOrEqual(53);
    expect(a?.latency.p90).toBeGreaterThanOrEqual(90);
    expect(a?.latency.p90).toBeLessThanOrEqual(95);
    expect(a?.latency.p99).toBeGreaterThanOrEqual(99);
    expect(a?.latency.p99).toBeLessThanOrEqual(104);
    expect(a?.slowerThan?.["50"]).toBeGreaterThanOrEqual(48);
    expect(a?.slowerThan?.["50"]).toBeLessThanOrEqual(52);
    expect(b).toMatchObject({ requests: 2, exceptions: 1, status: { "5xx": 2, "4xx": 0 } });
    expect(m.query("other", new Date(t), new Date(t + 2000))).toEqual([]);
    // Half-open: the second at `until` belongs to the next window.
    expect(m.query("w", new Date(t), new Date(t + 1000)).map((x) => x.versionId)).toEqual(["a"]);
    const series = m.series("w", new Date(t), new Date(t + 2000));
    expect(series.find((x) => x.versionId === "b")?.points).toEqual([
      expect.objectContaining({
        t: t + 1000,
        requests: 2,
        exceptions: 1,
        status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 2 },
      }),
    ]);
  });

  it("keeps buckets 5% apart and ends at +Infinity", () => {
    expect(LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]).toBe(Number.POSITIVE_INFINITY);
    const counts = new Array<number>(LATENCY_BOUNDS_MS.length).fill(0);
    expect(summarize(counts)).toEqual({ p50: 0, p90: 0, p95: 0, p99: 0 });
    counts[counts.length - 1] = 3;
    expect(countAbove(counts, 1_000_000)).toBe(3);
  });

  it("counts by route label, with failed and slow requests per route, and keeps them across a restart", () => {
    const m = new MetricsRecorder();
    const t = Date.parse("2026-01-01T00:00:10Z");
    const rec = (route: string | undefined, status: number, latencyMs: number) =>
      m.record({
        worker: "w",
        versionId: "a",
        status,
        latencyMs,
        exception: false,
        at: t,
        ...(route ? { route } : {}),
      });
    for (let i = 0; i < 10; i++) rec("orders/:id", i < 3 ? 500 : 200, i < 5 ? 10 : 300);
    for (let i = 0; i < 4; i++) rec("healthz", 200, 1);
    rec(undefined, 200, 1);
    const [a] = m.query("w", new Date(t), new Date(t + 1000), [100]);
    expect(a?.byRoute).toEqual({
      "orders/:id": { requests: 10, errors: 3, slowerThan: { "100": 5 } },
      healthz: { requests: 4, errors: 0, slowerThan: { "100": 0 } },
    });
    const again = new MetricsRecorder();
    again.restore(m.takeDirty());
    expect(again.query("w", new Date(t), new Date(t + 1000), [100])[0]?.byRoute).toEqual(a?.byRoute);
    // Without route labels there is no byRoute at all (the analysis then has one stratum).
    expect(m.query("w", new Date(t + 1000), new Date(t + 2000))).toEqual([]);
  });
});
