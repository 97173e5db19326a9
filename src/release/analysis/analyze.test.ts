import { describe, expect, it } from "vitest";
import type { VersionMetrics } from "../../platform/platform.js";
import {
  analyzePoll,
  createAnalysis,
  enabledTests,
  latencyBoundsNeeded,
  resolveAnalysisOptions,
  slowerThan,
} from "./analyze.js";
import { binomial, seededRandom, simulateCanary, windowMetrics, zTestDetect } from "./simulate.js";

function metrics(requests: number, errors: number, extra: Partial<VersionMetrics> = {}): VersionMetrics {
  return {
    versionId: "v",
    requests,
    status: { "2xx": requests - errors, "3xx": 0, "4xx": 0, "5xx": errors },
    exceptions: 0,
    latency: { p50: 10, p95: 40, p99: 80 },
    ...extra,
  };
}

describe("analyzePoll", () => {
  it("rolls back a clear error regression and prints its numbers", () => {
    const state = createAnalysis({ alpha: 0.01, latencyQuantile: false });
    const { verdict } = analyzePoll(state, { canary: metrics(1000, 41), stable: metrics(9000, 18), seconds: 60 });
    expect(verdict.action).toBe("rollback");
    expect(verdict.message).toMatch(
      /^canary 5xx 4\.1% \(41\/1000\) vs stable 0\.2% \(18\/9000\), e=\S+ ≥ 100: rolling back$/,
    );
  });

  it("holds until the latency test has its own minimum of canary requests", () => {
    // The first window fixes the stable p95 bound; only later windows feed the latency test.
    let state = createAnalysis({ minSamples: 100, latencyQuantile: "p95" });
    let r = analyzePoll(state, { canary: metrics(150, 0), stable: metrics(150, 0), seconds: 5 });
    expect(r.verdict.action).toBe("hold");
    expect(r.verdict.message).toContain("the latency test has 0/100 canary requests");
    state = r.state;
    const bound = latencyBoundsNeeded(state)[0] ?? 0;
    const window = (n: number) => metrics(n, 0, { slowerThan: { [String(bound)]: Math.round(n * 0.05) } });
    r = analyzePoll(state, { canary: window(120), stable: window(120), seconds: 5 });
    expect(r.verdict.action).toBe("ok");
  });

  it("holds below the minimum samples, and passes a healthy canary once it has them", () => {
    let state = createAnalysis({ minSamples: 200, latencyQuantile: false });
    let r = analyzePoll(state, { canary: metrics(50, 0), stable: metrics(950, 2), seconds: 10 });
    expect(r.verdict.action).toBe("hold");
    expect(r.verdict.message).toContain("holding, canary has 50/200 requests");
    state = r.state;
    r = analyzePoll(state, { canary: metrics(200, 1), stable: metrics(1800, 4), seconds: 10 });
    expect(r.verdict.action).toBe("ok");
    expect(r.verdict.canaryRequests).toBe(250);
  });

  it("tolerates the configured relative increase", () => {
    // Canary 1.1× the stable rate: within a 20% tolerance it never gathers evidence.
    let state = createAnalysis({ toleratedIncrease: 0.2, latencyQuantile: false });
    for (let i = 0; i < 50; i++) {
      state = analyzePoll(state, { canary: metrics(1000, 11), stable: metrics(1000, 10), seconds: 10 }).state;
    }
    expect(analyzePoll(state, { canary: undefined, stable: undefined, seconds: 10 }).verdict.action).toBe("ok");
  });

  it("freezes the stable p95 as the latency bound, then rolls back a slower canary", () => {
    let state = createAnalysis({ minSamples: 100, alpha: 0.01 });
    expect(latencyBoundsNeeded(state)).toEqual([]);
    state = analyzePoll(state, { canary: metrics(100, 0), stable: metrics(900, 0), seconds: 10 }).state;
    expect(state.latencyThresholdMs).toBe(40);
    expect(latencyBoundsNeeded(state)).toEqual([40]);
    let verdict = analyzePoll(state, { canary: metrics(1, 0), stable: metrics(1, 0), seconds: 1 }).verdict;
    for (let i = 0; i < 3; i++) {
      const r = analyzePoll(state, {
        canary: metrics(100, 0, { slowerThan: { "40": 90 } }),
        stable: metrics(900, 0, { slowerThan: { "40": 45 } }),
        seconds: 10,
      });
      state = r.state;
      verdict = r.verdict;
    }
    expect(verdict.action).toBe("rollback");
    expect(verdict.message).toContain("canary slower than 40 ms (stable p95) 90% (270/300) vs stable 5.0% (135/2700)");
  });

  it("rolls back on an absolute SLO ceiling even when stable is as bad", () => {
    const state = createAnalysis({ slo: { errorRate: 0.01 }, latencyQuantile: false });
    const { verdict } = analyzePoll(state, { canary: metrics(2000, 100), stable: metrics(2000, 100), seconds: 60 });
    expect(verdict.action).toBe("rollback");
    expect(verdict.message).toContain("vs SLO ceiling 1.00%");
    expect(verdict.tests.find((t) => t.name === "errors")?.reject).toBe(false);
  });

  it("watches a DLQ against its baseline rate", () => {
    let state = createAnalysis({
      watch: { queues: ["order-events-dlq"] },
      baseline: { dlqPerSecond: 0.001 },
      latencyQuantile: false,
    });
    const extra = { dlqMessages: { "order-events-dlq": 12, other: 500 }, durableObjectErrors: {} };
    const r = analyzePoll(state, { canary: metrics(100, 0), stable: metrics(100, 0), extra, seconds: 60 });
    state = r.state;
    expect(state.dlqMessages).toBe(12);
    expect(r.verdict.action).toBe("rollback");
    expect(r.verdict.message).toMatch(/DLQ order-events-dlq: 12 messages in 60 s/);
  });

  it("splits α over the tests that are switched on", () => {
    const o = resolveAnalysisOptions({ alpha: 0.01, slo: { errorRate: 0.01, latencyMs: 300 } });
    expect(enabledTests(o)).toEqual(["errors", "latency", "slo-errors", "slo-latency"]);
    const { verdict } = analyzePoll(createAnalysis(o), { canary: metrics(10, 0), stable: metrics(10, 0), seconds: 1 });
    expect(verdict.tests.every((t) => t.threshold === 400)).toBe(true);
  });

  it("counts slow requests from a histogram when the platform has no exact count", () => {
    const m = metrics(10, 0, {
      histogram: { boundsMs: [10, 50, 100, Number.POSITIVE_INFINITY], counts: [4, 3, 2, 1] },
    });
    expect(slowerThan(m, 50)).toBe(3);
    expect(slowerThan(m, 40)).toBe(3);
    expect(slowerThan(metrics(1, 0), 40)).toBeUndefined();
  });

  it("is deterministic", () => {
    const run = () => {
      let s = createAnalysis();
      for (const w of simulateCanary(
        { rps: 50, baseErrorRate: 0.01, effect: 3, steps: [{ percent: 10, seconds: 300 }], pollSeconds: 10 },
        seededRandom(7),
      )) {
        s = analyzePoll(s, { ...windowMetrics(w), seconds: 10 }).state;
      }
      return s;
    };
    expect(run()).toEqual(run());
  });
});

describe("false rollbacks, checked at every poll (simulation)", () => {
  const steps = [
    { percent: 5, seconds: 300 },
    { percent: 25, seconds: 300 },
    { percent: 50, seconds: 300 },
  ];

  function falseRollbacks(runs: number, alpha: number, decide: (w: ReturnType<typeof simulateCanary>) => boolean) {
    const rand = seededRandom(20261126);
    let count = 0;
    for (let i = 0; i < runs; i++) {
      const windows = simulateCanary({ rps: 40, baseErrorRate: 0.02, effect: 1, steps, pollSeconds: 10 }, rand);
      if (decide(windows)) count++;
    }
    return { rate: count / runs, bound: alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / runs) };
  }

  it("stays ≤ α for healthy canaries with no tolerance at all", () => {
    const alpha = 0.05;
    const { rate, bound } = falseRollbacks(400, alpha, (windows) => {
      let s = createAnalysis({ alpha, toleratedIncrease: 0, latencyQuantile: false, minSamples: 0 });
      for (const w of windows) {
        const r = analyzePoll(s, { ...windowMetrics(w), seconds: 10 });
        s = r.state;
        if (r.verdict.action === "rollback") return true;
      }
      return false;
    });
    expect(rate).toBeLessThanOrEqual(bound);
  });

  it("whereas a z-test peeked at every poll does not (the simulation can tell)", () => {
    const alpha = 0.05;
    const { rate, bound } = falseRollbacks(400, alpha, (windows) => zTestDetect(windows, 1.645) !== undefined);
    expect(rate).toBeGreaterThan(bound);
  });

  it("stays ≤ α with the latency test on, its bound fixed from the stable version's own p95", () => {
    const alpha = 0.05;
    const rand = seededRandom(5150);
    const runs = 300;
    let rollbacks = 0;
    for (let i = 0; i < runs; i++) {
      let s = createAnalysis({ alpha, toleratedIncrease: 0, minSamples: 50 });
      for (const w of simulateCanary({ rps: 40, baseErrorRate: 0.01, effect: 1, steps, pollSeconds: 10 }, rand)) {
        // Same latency distribution for both versions: 5% of requests slower than the stable p95 (40 ms).
        const { canary, stable } = windowMetrics(w);
        const slow = (n: number) => binomial(rand, n, 0.05);
        const bound = String(s.latencyThresholdMs ?? 40);
        const r = analyzePoll(s, {
          canary: { ...canary, latency: { p50: 10, p95: 40, p99: 80 }, slowerThan: { [bound]: slow(canary.requests) } },
          stable: { ...stable, latency: { p50: 10, p95: 40, p99: 80 }, slowerThan: { [bound]: slow(stable.requests) } },
          seconds: 10,
        });
        s = r.state;
        if (r.verdict.action === "rollback") {
          rollbacks++;
          break;
        }
      }
      expect(s.latencyThresholdMs).toBe(40);
    }
    expect(rollbacks / runs).toBeLessThanOrEqual(alpha + 3 * Math.sqrt((alpha * (1 - alpha)) / runs));
  });

  it("detects a 5× regression in nearly every run", () => {
    const rand = seededRandom(99);
    let detected = 0;
    for (let i = 0; i < 100; i++) {
      const windows = simulateCanary({ rps: 40, baseErrorRate: 0.02, effect: 5, steps, pollSeconds: 10 }, rand);
      let s = createAnalysis({ alpha: 0.05, latencyQuantile: false });
      for (const w of windows) {
        const r = analyzePoll(s, { ...windowMetrics(w), seconds: 10 });
        s = r.state;
        if (r.verdict.action === "rollback") {
          detected++;
          break;
        }
      }
    }
    expect(detected).toBeGreaterThanOrEqual(98);
  });
});
