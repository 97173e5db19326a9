import { describe, expect, it } from "vitest";
import {
  assertDatasetName,
  dlqCount,
  histogramQuantile,
  mergeVersionMetrics,
  slowerThanSql,
  sqlString,
  summariseInvocations,
  summariseTelemetry,
  telemetrySql,
} from "./metrics.js";

describe("metrics helpers", () => {
  it("takes quantiles from a bucket histogram at the bucket's upper bound", () => {
    const h = { boundsMs: [10, 100, 1000, Number.POSITIVE_INFINITY], counts: [50, 40, 9, 1] };
    expect(histogramQuantile(h, 0.5)).toBe(10);
    expect(histogramQuantile(h, 0.9)).toBe(100);
    expect(histogramQuantile(h, 0.99)).toBe(1000);
    expect(histogramQuantile(h, 1)).toBe(10000);
    expect(histogramQuantile({ boundsMs: [10], counts: [0] }, 0.5)).toBe(0);
  });

  it("weights GraphQL quantiles by requests and counts exception statuses only", () => {
    const m = summariseInvocations([
      {
        dimensions: { scriptVersion: "a", status: "success" },
        sum: { requests: 90 },
        quantiles: { cpuTimeP50: 1000 },
      },
      {
        dimensions: { scriptVersion: "a", status: "scriptThrewException" },
        sum: { requests: 10 },
        quantiles: { cpuTimeP50: 2000 },
      },
      { dimensions: { scriptVersion: "a", status: "clientDisconnected" }, sum: { requests: 0 } },
      { dimensions: { status: "success" }, sum: { requests: 5 } },
    ]);
    expect(m.get("a")).toMatchObject({ requests: 100, exceptions: 10, cpuTimeP50: 1100 });
    expect(m.size).toBe(1);
  });

  it("reads ClickHouse's quoted 64-bit counts and the overflow bucket", () => {
    const t = summariseTelemetry({
      data: [
        { version_id: "a", status_class: "2xx", bucket_ms: 25, n: "7" },
        { version_id: "a", status_class: "1xx", bucket_ms: 5, n: 1 },
        { version_id: "a", status_class: "5xx", bucket_ms: 1e9, n: "2" },
      ],
    });
    expect(t.get("a")).toEqual({
      status: { "2xx": 7, "3xx": 0, "4xx": 0, "5xx": 2 },
      requests: 10,
      histogram: { boundsMs: [5, 25, Number.POSITIVE_INFINITY], counts: [1, 7, 2] },
      weighted: { requests: 10, status: { "2xx": 7, "3xx": 0, "4xx": 0, "5xx": 2 } },
      routes: new Map([["", { requests: 10, errors: 2 }]]),
    });
  });

  it("falls back to GraphQL wall time when a version wrote no telemetry", () => {
    const [m] = mergeVersionMetrics(
      ["v"],
      new Map([
        [
          "v",
          {
            requests: 4,
            exceptions: 1,
            unrecorded: 0,
            cpuTimeP50: 0,
            cpuTimeP99: 0,
            wallTimeP50: 2000,
            wallTimeP90: 5000,
            wallTimeP99: 9000,
          },
        ],
      ]),
      new Map(),
      new Map(),
    );
    expect(m).toEqual({
      versionId: "v",
      requests: 4,
      status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
      exceptions: 1,
      latency: { p50: 2, p90: 5, p95: 9, p99: 9 },
      statusUnknown: true,
    });
  });

  it("counts each failed request once in 5xx, exceptions included in it", () => {
    const inv = summariseInvocations([
      { dimensions: { scriptVersion: "v", status: "success" }, sum: { requests: 8 } },
      { dimensions: { scriptVersion: "v", status: "scriptThrewException" }, sum: { requests: 2 } },
      { dimensions: { scriptVersion: "v", status: "exceededResources" }, sum: { requests: 1 } },
    ]);
    const tel = summariseTelemetry({
      data: [
        { version_id: "v", status_class: "2xx", bucket_ms: 25, rows: 8, n: 80 },
        { version_id: "v", status_class: "5xx", bucket_ms: 25, rows: 2, n: 20 },
      ],
    });
    const [m] = mergeVersionMetrics(["v"], inv, tel, new Map());
    // 2 thrown (already telemetry's 500s) + 1 out of resources (which telemetry never saw).
    expect(m?.status["5xx"]).toBe(3);
    expect(m?.exceptions).toBe(3);
    expect(Math.max(m?.status["5xx"] ?? 0, m?.exceptions ?? 0)).toBe(3);
    // The test sees raw sampled rows; the estimate is for display.
    expect(m?.requests).toBe(10);
    expect(m?.weighted?.requests).toBe(100);
  });

  it("reads half-open windows, so back-to-back polls share no row", () => {
    const sql = telemetrySql("ds", "w", ["v"], new Date(60_000), new Date(120_500));
    expect(sql).toContain("timestamp >= toDateTime(60)");
    expect(sql).toContain("timestamp < toDateTime(120)");
    expect(sql).toContain("count() AS rows");
  });

  it("quotes SQL strings and refuses odd dataset names and bounds", () => {
    expect(sqlString("o'k\\")).toBe("'o\\'k\\\\'");
    expect(() => assertDatasetName("shop; DROP")).toThrow(/invalid Analytics Engine dataset name/);
    expect(() => slowerThanSql("ds", "w", ["v"], new Date(0), new Date(1000), Number.NaN)).toThrow(/finite/);
  });

  it("counts only DLQ outcomes", () => {
    expect(
      dlqCount({
        viewer: {
          accounts: [
            {
              queueMessageOperationsAdaptiveGroups: [
                { count: 3, dimensions: { outcome: "dlq" } },
                { count: 9, dimensions: { outcome: "success" } },
              ],
            },
          ],
        },
      }),
    ).toBe(3);
  });
});
