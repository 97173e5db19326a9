import { describe, expect, it } from "vitest";
import type { VersionMetrics } from "../../platform/platform.js";
import { analyzePoll, createAnalysis, enabledTests, latencyBoundsNeeded, resolveAnalysisOptions } from "./analyze.js";
import { atLeastBursts, estimateCountDispersion, estimateDispersion, NO_DISPERSION } from "./dispersion.js";
import { effectBound } from "./effect-bound.js";
import { poisson, seededRandom, simulateCanary, windowMetrics } from "./simulate.js";
import { errorsOf, slowerThan } from "./strata.js";

function metrics(requests: number, errors: number, extra: Partial<VersionMetrics> = {}): VersionMetrics {
  return {
    versionId: "v",
    requests,
    status: { "2xx": requests - errors, "3xx": 0, "4xx": 0, "5xx": errors },
    exceptions: 0,
    latency: { p50: 10, p90: 30, p95: 40, p99: 80 },
    ...extra,
  };
}

const PRE = { requests: 6000, seconds: 600, latency: { p50: 10, p90: 30, p95: 40, p99: 80 } };
const NO_LATENCY = { latencyQuantiles: [] } as const;

describe("analyzePoll", () => {
  it("rolls back a clear error regression and prints its numbers", () => {
    const state = createAnalysis({ alpha: 0.01, ...NO_LATENCY });
    const { verdict } = analyzePoll(state, { canary: metrics(1000, 41), stable: metrics(9000, 18), seconds: 60 });
    expect(verdict.action).toBe("rollback");
    expect(verdict.message).toMatch(
      /^canary 5xx 4\.1% \(41\/1000\) vs stable 0\.2% \(18\/9000\), e=\S+ ≥ 100; average e=\S+ ≥ 100: rolling back$/,
    );
  });

  it("counts each failed request once: a thrown exception is also a 500", () => {
    expect(errorsOf(metrics(100, 7, { exceptions: 7 }))).toBe(7);
    expect(errorsOf(metrics(100, 2, { exceptions: 5 }))).toBe(5);
  });

  it("treats a window without status rows as missing data, never as zero errors", () => {
    const r = analyzePoll(createAnalysis({ minSamples: 100, ...NO_LATENCY }), {
      canary: metrics(5000, 0, { statusUnknown: true }),
      stable: metrics(5000, 0),
      seconds: 10,
    });
    expect(r.verdict.action).toBe("hold");
    expect(r.state.canary.requests).toBe(0);
  });

  it("holds below the minimum samples, and passes a healthy canary once it has them", () => {
    let state = createAnalysis({ minSamples: 200, ...NO_LATENCY });
    let r = analyzePoll(state, { canary: metrics(50, 0), stable: metrics(950, 2), seconds: 10 });
    expect(r.verdict.action).toBe("hold");
    expect(r.verdict.message).toContain("holding, canary has 50/200 requests");
    state = r.state;
    r = analyzePoll(state, { canary: metrics(200, 1), stable: metrics(1800, 4), seconds: 10 });
    expect(r.verdict.action).toBe("ok");
    expect(r.verdict.canaryRequests).toBe(250);
  });

  it("tolerates the configured relative increase", () => {
    let state = createAnalysis({ toleratedIncrease: 0.2, ...NO_LATENCY });
    for (let i = 0; i < 50; i++) {
      state = analyzePoll(state, { canary: metrics(1000, 11), stable: metrics(1000, 10), seconds: 10 }).state;
    }
    expect(analyzePoll(state, { canary: undefined, stable: undefined, seconds: 10 }).verdict.action).toBe("ok");
  });

  it("freezes the latency bounds from pre-release data and compares on the latency scale", () => {
    let state = createAnalysis({ minSamples: 100, toleratedIncrease: 0.1, preRelease: PRE });
    expect(latencyBoundsNeeded(state)).toEqual([10, 11, 30, 33, 80, 88]);
    // Only the median regressed: half the stable requests are slower than 10 ms, 80% of the canary's above 11 ms.
    const slow = (n: number, p50: number, p90: number, p99: number, keys: [string, string, string]) =>
      Object.fromEntries(keys.map((k, i) => [k, Math.round(n * ([p50, p90, p99][i] ?? 0))]));
    let verdict = analyzePoll(state, { canary: metrics(1, 0), stable: metrics(1, 0), seconds: 1 }).verdict;
    for (let i = 0; i < 6 && verdict.action !== "rollback"; i++) {
      const r = analyzePoll(state, {
        canary: metrics(300, 0, { slowerThan: slow(300, 0.8, 0.1, 0.01, ["11", "33", "88"]) }),
        stable: metrics(2700, 0, { slowerThan: slow(2700, 0.5, 0.1, 0.01, ["10", "30", "80"]) }),
        seconds: 10,
      });
      state = r.state;
      verdict = r.verdict;
    }
    expect(verdict.action).toBe("rollback");
    expect(verdict.message).toContain("p50: canary > 11 ms 80% vs stable > 10 ms 50%");
  });

  it("runs no latency test without enough pre-release requests", () => {
    const o = resolveAnalysisOptions({ preRelease: { ...PRE, requests: 20 } });
    expect(enabledTests(o)).toEqual(["errors"]);
  });

  it("pauses and pages, never rolls back, on an SLO breach the stable version shares", () => {
    const state = createAnalysis({ slo: { errorRate: 0.01 }, ...NO_LATENCY });
    const { verdict } = analyzePoll(state, { canary: metrics(4000, 200), stable: metrics(4000, 200), seconds: 60 });
    expect(verdict.action).toBe("pause");
    expect(verdict.message).toContain("stable breaches the SLO too, pausing and paging");
  });

  it("rolls back on an SLO breach the stable version does not share", () => {
    const state = createAnalysis({ slo: { errorRate: 0.01 }, ...NO_LATENCY });
    const { verdict } = analyzePoll(state, { canary: metrics(4000, 200), stable: metrics(4000, 4), seconds: 60 });
    expect(verdict.action).toBe("rollback");
  });

  it("DLQ messages without a version are an alert, attributed ones a comparison", () => {
    const o = {
      watch: { queues: ["order-events-dlq"] },
      preRelease: { requests: 0, seconds: 600, dlqPerSecond: 0.001 },
      ...NO_LATENCY,
    };
    const extra = { dlqMessages: { "order-events-dlq": 12, other: 500 }, durableObjectErrors: {} };
    const r = analyzePoll(createAnalysis(o), { canary: metrics(100, 0), stable: metrics(100, 0), extra, seconds: 60 });
    expect(r.verdict.action).not.toBe("rollback");
    expect(r.verdict.alerts[0]).toMatch(/DLQ order-events-dlq: 12 messages in 60 s, above the pre-release rate/);
    const byVersion = {
      c: { dlqMessages: { "order-events-dlq": 40 }, durableObjectErrors: {} },
      s: { dlqMessages: { "order-events-dlq": 1 }, durableObjectErrors: {} },
    };
    const a = analyzePoll(createAnalysis(o), {
      canary: metrics(1000, 0),
      stable: metrics(1000, 0),
      extra: { ...extra, byVersion },
      ids: { canary: "c", stable: "s" },
      seconds: 60,
    });
    expect(a.verdict.action).toBe("rollback");
    expect(a.verdict.message).toContain("DLQ order-events-dlq: canary 40 vs stable 1 messages (attributed)");
  });

  it("averages the e-values of the tests that are switched on", () => {
    const o = resolveAnalysisOptions({ alpha: 0.01, slo: { errorRate: 0.01, latencyMs: 300 }, preRelease: PRE });
    expect(enabledTests(o)).toEqual(["errors", "latency", "slo-errors", "slo-latency"]);
    const { verdict } = analyzePoll(createAnalysis(o), { canary: metrics(10, 0), stable: metrics(10, 0), seconds: 1 });
    expect(verdict.tests.every((t) => t.threshold === 400)).toBe(true);
    expect(verdict.threshold).toBe(100);
    expect(verdict.e).toBeCloseTo(verdict.tests.reduce((s, t) => s + t.e, 0) / 4, 10);
  });

  it("pauses on a sample-ratio mismatch and says so", () => {
    let state = createAnalysis(NO_LATENCY);
    let action = "";
    for (let i = 0; i < 10; i++) {
      const r = analyzePoll(state, { canary: metrics(300, 1), stable: metrics(700, 2), seconds: 10, percent: 5 });
      state = r.state;
      action = r.verdict.action;
    }
    expect(action).toBe("pause");
    expect(analyzePoll(state, { canary: undefined, stable: undefined, seconds: 1 }).verdict.srm.status).toBe(
      "mismatch",
    );
  });

  it("compares within routes, so a canary serving more of an error-prone route is not a regression", () => {
    const route = (a: [number, number], b: [number, number]) => ({
      "/slow": { requests: a[0], errors: a[1] },
      "/fast": { requests: b[0], errors: b[1] },
    });
    let state = createAnalysis(NO_LATENCY);
    let action = "";
    for (let i = 0; i < 30; i++) {
      const r = analyzePoll(state, {
        canary: metrics(1000, 110, { byRoute: route([500, 100], [500, 10]) }),
        stable: metrics(9000, 270, { byRoute: route([900, 180], [8100, 90]) }),
        seconds: 10,
      });
      state = r.state;
      action = r.verdict.action;
    }
    expect(action).toBe("ok");
    expect(Object.keys(state.strata).sort()).toEqual(["/fast", "/slow"]);
  });

  it("names the strata that drove a rollback", () => {
    const route = (a: [number, number], b: [number, number]) => ({
      "/orders": { requests: a[0], errors: a[1] },
      "/cart": { requests: b[0], errors: b[1] },
    });
    const r = analyzePoll(createAnalysis(NO_LATENCY), {
      canary: metrics(1000, 60, { byRoute: route([500, 55], [500, 5]) }),
      stable: metrics(9000, 90, { byRoute: route([4500, 45], [4500, 45]) }),
      seconds: 60,
    });
    expect(r.verdict.action).toBe("rollback");
    expect(r.verdict.strata[0]?.name).toBe("/orders");
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
      let s = createAnalysis(NO_LATENCY);
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

describe("effect bound (confidence sequence)", () => {
  it("bounds a healthy canary's error ratio near 1, and a 3× canary's above 2", () => {
    const bound = (effect: number) => {
      let s = createAnalysis(NO_LATENCY);
      for (const w of simulateCanary(
        { rps: 2000, baseErrorRate: 0.01, effect, steps: [{ percent: 25, seconds: 600 }], pollSeconds: 10 },
        seededRandom(11),
      )) {
        s = analyzePoll(s, { ...windowMetrics(w), seconds: 10 }).state;
      }
      return effectBound(s);
    };
    const healthy = bound(1);
    expect(healthy.upper).toBeGreaterThan(1);
    expect(healthy.upper).toBeLessThan(1.3);
    expect(healthy.summary).toMatch(
      /^canary error ratio ≤ 1\.\d\d× with 99% confidence \(confidence sequence, \d+ errors\)$/,
    );
    expect(bound(3).upper).toBeGreaterThan(2.5);
  });
});

describe("dispersion", () => {
  it("finds none in binomial counts, and the excess in clumped ones", () => {
    const rand = seededRandom(3);
    const plain = Array.from({ length: 60 }, () => ({ trials: 10000, hits: Math.round(50 + 7 * (rand() - 0.5) * 2) }));
    expect(estimateDispersion(plain).fano).toBeLessThan(1.5);
    // Every error counted three times: variance 3× the binomial's.
    const clumped = Array.from({ length: 60 }, (_, i) => ({ trials: 10000, hits: 3 * (40 + ((i * 7) % 21)) }));
    expect(estimateDispersion(clumped).fano).toBeGreaterThan(2);
    // The window the excess rests on is kept for the report: 3 × (40 + 14) hits.
    expect(estimateDispersion(clumped).peak).toEqual({ trials: 10000, hits: 162 });
    expect(estimateDispersion(plain).peak).toBeUndefined();
  });

  it("reads request clustering from the counts' successive differences, not from a slow trend", () => {
    const rand = seededRandom(5);
    const plain = Array.from({ length: 30 }, () => poisson(rand, 500));
    expect(estimateCountDispersion(plain).fano).toBe(1);
    // Traffic growing 500 → 1,000 over the windows: a trend, not clustering.
    const growing = Array.from({ length: 30 }, (_, i) => poisson(rand, 500 + (500 * i) / 29));
    expect(estimateCountDispersion(growing).fano).toBe(1);
    // Clusters of 10 requests: the counts' variance is about 10× the mean.
    const clustered = Array.from({ length: 30 }, () => 10 * poisson(rand, 50));
    expect(estimateCountDispersion(clustered).fano).toBeGreaterThan(5);
    expect(estimateCountDispersion(plain.slice(0, 4)).fano).toBe(1);
  });

  it("raises a burst estimate to a known bound on burst size, never lowers it", () => {
    expect(atLeastBursts(NO_DISPERSION, 10).fano).toBe(10);
    expect(atLeastBursts({ fano: 30, cv2: 0, windows: 30 }, 10).fano).toBe(30);
  });
});

describe("sample-ratio test under request clustering", () => {
  /** Canary and stable requests of one window when clusters of 30 requests each go to one version. */
  function clusteredWindow(rand: () => number, canaryShare: number) {
    const clusters = poisson(rand, 20);
    let canary = 0;
    for (let i = 0; i < clusters; i++) if (rand() < canaryShare) canary++;
    return { canary: 30 * canary, stable: 30 * (clusters - canary) };
  }

  /** In how many of 20 seeded releases (90 windows at 5 %) the test ever calls a mismatch. */
  function mismatches(share: number, corrected: boolean): number {
    let count = 0;
    for (let seed = 0; seed < 20; seed++) {
      const rand = seededRandom(100 + seed);
      const counts = Array.from({ length: 30 }, () => 30 * poisson(rand, 20));
      const preRelease = corrected ? { ...PRE, requestDispersion: estimateCountDispersion(counts) } : PRE;
      let state = createAnalysis({ ...NO_LATENCY, preRelease });
      for (let i = 0; i < 90; i++) {
        const w = clusteredWindow(rand, share);
        const obs = { canary: metrics(w.canary, 0), stable: metrics(w.stable, 0), seconds: 10, percent: 5 };
        const r = analyzePoll(state, obs);
        state = r.state;
        if (r.verdict.srm.status === "mismatch") {
          count++;
          break;
        }
      }
    }
    return count;
  }

  it("does not take clustering the pre-release counts showed for a mismatch, and still finds a real one", () => {
    expect(mismatches(0.05, false)).toBeGreaterThan(10);
    expect(mismatches(0.05, true)).toBe(0);
    expect(mismatches(0.015, true)).toBeGreaterThan(15);
  });
});
