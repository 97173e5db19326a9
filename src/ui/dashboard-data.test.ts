import { describe, expect, it } from "vitest";
import type { AnalysisRecord } from "../platform/platform.js";
import { analysisOf, collectDashboardData, type DashboardSource } from "./dashboard-data.js";

const NOW = new Date("2026-11-26T12:00:00.000Z");
const T = NOW.getTime();

function source(overrides: Partial<DashboardSource> = {}): DashboardSource {
  const status = { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 };
  return {
    target: "local",
    listVersions: async (worker) => [{ id: "aaaaaaaa-1", worker, createdAt: "2026-11-26T11:00:00Z", tag: "v1" }],
    listDeployments: async () => [],
    currentDeployment: async () => undefined,
    metrics: async () => {
      throw new Error("series should be used instead");
    },
    listFlags: async () => [{ name: "disable_writes", value: "0" }],
    queueState: async (queue) => ({ queue, paused: false, backlog: 3 }),
    listMigrations: async () => [],
    listRestorePoints: async () => [],
    series: async () => [
      {
        versionId: "aaaaaaaa-1",
        points: [
          { t: T - 5000, requests: 10, status: { ...status, "2xx": 8, "5xx": 2 }, p50: 1, p95: 4, p99: 9 },
          { t: T - 2000, requests: 4, status: { ...status, "2xx": 4 }, p50: 2, p95: 3, p99: 5 },
        ],
      },
    ],
    ...overrides,
  };
}

describe("collectDashboardData", () => {
  it("charts per-second series: seconds without requests are a zero rate and a gap in error rate", async () => {
    const data = await collectDashboardData({
      platform: source(),
      workers: ["shop-api"],
      queues: [],
      databases: [],
      now: NOW,
    });
    const [s] = data.series;
    expect(s?.label).toBe("v1");
    expect(s?.points.map((p) => [p.t, p.rps, p.errorRate])).toEqual([
      [T / 1000 - 5, 10, 20],
      [T / 1000 - 4, 0, null],
      [T / 1000 - 3, 0, null],
      [T / 1000 - 2, 4, 0],
    ]);
    expect(s?.points[0]?.p95).toBe(4);
    expect(data.problems).toBeUndefined();
  });

  it("reads the analysis the platform recorded, and says which parts it could not read", async () => {
    const records: AnalysisRecord[] = [
      { worker: "shop-api", t: T / 1000 - 10, verdict: "continue", message: "e=1", e: 1, threshold: 20 },
      { worker: "shop-api", t: T / 1000 - 5, verdict: "rollback", message: "e=30", e: 30, numbers: { n: 9 } },
    ];
    const data = await collectDashboardData({
      platform: source({
        listAnalysis: async (worker, since) =>
          records.filter((r) => r.worker === worker && r.t >= (since?.getTime() ?? 0) / 1000),
        listFlags: async () => {
          throw new Error("ops route answered 500");
        },
      }),
      workers: ["shop-api"],
      queues: ["order-events"],
      databases: [],
      now: NOW,
    });
    expect(data.analysis.points.map((p) => [p.e, p.threshold])).toEqual([
      [1, 20],
      [30, 20],
    ]);
    expect(data.analysis.decisions.at(-1)).toMatchObject({ verdict: "rollback", numbers: { n: 9 } });
    expect(data.flags).toEqual([]);
    expect(data.problems).toEqual(["flags: ops route answered 500"]);
    expect(data.queues).toEqual([{ queue: "order-events", paused: false, backlog: 3 }]);
  });
});

describe("analysisOf", () => {
  it("charts only polls with an e-value and a known decision line, and lists every decision", () => {
    const a = analysisOf([
      { worker: "w", t: 3, verdict: "hold", message: "not enough traffic" },
      { worker: "w", t: 1, verdict: "continue", message: "e=2", e: 2 },
      { worker: "w", t: 2, verdict: "continue", message: "e=3", e: 3, threshold: 20 },
    ]);
    expect(a.points).toEqual([{ t: 2, worker: "w", e: 3, threshold: 20 }]);
    expect(a.decisions.map((d) => d.verdict)).toEqual(["continue", "continue", "hold"]);
  });
});
