import { describe, expect, it } from "vitest";
import { type DecisionLoopOptions, simulateDecisionLoop } from "./decision-loop.js";
import type { Scenario } from "./scenarios.js";
import { seededRandom } from "./simulate.js";

/**
 * False rollbacks of healthy canaries through the decision loop `release` runs, at α = 0.01, 2,000 seeded
 * releases per scenario: the model's own data, then each production imperfection of issue 16's table. A short
 * ramp keeps it fast; bench/analysis.ts runs the default ramp at every traffic level.
 */

const ALPHA = 0.01;
const RUNS = 2000;
const STEPS = [
  { percent: 5, minDurationSeconds: 60, minSamples: 100 },
  { percent: 25, minDurationSeconds: 60, minSamples: 200 },
  { percent: 50, minDurationSeconds: 60, minSamples: 300 },
];

function healthy(rps: number, extra: Partial<Scenario> = {}): Scenario {
  return {
    rps,
    baseErrorRate: 0.01,
    errorEffect: 1,
    latency: { medianMs: 40, sigma: 0.6 },
    steps: STEPS.map((s) => ({ percent: s.percent, seconds: s.minDurationSeconds })),
    pollSeconds: 10,
    preReleaseSeconds: 300,
    ...extra,
  };
}

/**
 * Outcomes of `RUNS` seeded releases. `batchBound: false` tells the analysis a watched DLQ's consumer has
 * max_batch_size 1 while batches stay as the scenario draws them: the tempering then rests on the bursts the
 * pre-release windows happened to show, which is what the bound is there to replace.
 */
function outcomes(
  scenario: Scenario,
  seed: number,
  options: DecisionLoopOptions["analysis"] = {},
  { batchBound = true }: { batchBound?: boolean } = {},
) {
  const s = !batchBound && scenario.dlq ? { ...scenario, dlq: { ...scenario.dlq, configuredMaxBatch: 1 } } : scenario;
  const rand = seededRandom(seed);
  const counts = { "rolled-back": 0, paused: 0, promoted: 0 };
  for (let i = 0; i < RUNS; i++) {
    const r = simulateDecisionLoop(s, rand, {
      analysis: { alpha: ALPHA, ...options },
      steps: STEPS,
      noData: { deadlineSeconds: 180, action: "pause" },
    });
    counts[r.outcome]++;
  }
  return counts;
}

type Case = [string, Scenario, DecisionLoopOptions["analysis"]?];

/**
 * Rare batches (3 messages per 10,000 requests, mean 20 a batch): the 30 pre-release windows often show none, so
 * only the max_batch_size bound keeps a canary's first batch from rolling it back. With 1e-3 per request the
 * windows showed them and the bound hardly mattered (0.7–1.2 % unbounded, 2,000 runs).
 */
const DLQ_BATCHES: Case = [
  "DLQ messages in rare dead-lettered batches (mean 20, up to max_batch_size 100), attributed",
  healthy(300, { dlq: { perRequest: 3e-4, attributed: true, clump: 20, maxBatch: 100 } }),
  { watch: { queues: ["dlq"] } },
];

const SCENARIOS: Case[] = [
  ["the model's own data", healthy(300)],
  ["rates drifting per version per window (CV 0.5)", healthy(300, { rateCv: 0.5 })],
  ["errors clumped on one version (retries, mean clump 4)", healthy(300, { clump: 4 })],
  ["per-version latency jitter (σ 0.1 per window)", healthy(1000, { latencyJitter: 0.1 })],
  [
    "canary serving more of a slow, error-prone route (30% vs 20%)",
    healthy(300, { route: { stableShare: 0.2, canaryShare: 0.3, errorFactor: 4, latencyFactor: 3 } }),
  ],
  ["sampled rows weighted back up (interval 10)", healthy(300, { sampling: { interval: 10, weighted: true } })],
  ["exceptions counted as 500s and as exceptions", healthy(300, { thrownShare: 0.6 })],
  ["windows that re-read their first second", healthy(300, { overlapSeconds: 1 })],
  [
    "DLQ messages growing with traffic (2×), attributed",
    healthy(300, { growth: 2, dlq: { perRequest: 5e-4, attributed: true } }),
    { watch: { queues: ["dlq"] } },
  ],
  [
    "Durable Object errors growing with traffic (2×) and drifting, attributed",
    healthy(300, { growth: 2, rateCv: 0.3, durableObjects: { perRequest: 5e-4, attributed: true } }),
    { watch: { durableObjects: ["Cart"] } },
  ],
  ["requests in version-affinity clusters of 30", healthy(20, { affinity: 30 })],
  [
    "DLQ messages in frequent dead-lettered batches (mean 20, up to max_batch_size 100), attributed",
    healthy(300, { dlq: { perRequest: 1e-3, attributed: true, clump: 20, maxBatch: 100 } }),
    { watch: { queues: ["dlq"] } },
  ],
  DLQ_BATCHES,
  [
    "Durable Object errors in bursts of 10 on one version (a hot object), attributed",
    healthy(300, { durableObjects: { perRequest: 1e-3, attributed: true, clump: 10 } }),
    { watch: { durableObjects: ["Cart"] } },
  ],
  [
    "a common-mode incident breaching the SLO on both versions",
    healthy(300, { incident: { from: 60, to: 150, factor: 5 } }),
    { slo: { errorRate: 0.02 } },
  ],
  ["a 5 rps Worker", healthy(5)],
  ["a 2 rps Worker", healthy(2)],
];

describe("false rollbacks at α = 0.01 (2,000 simulated releases per scenario)", () => {
  for (const [i, [name, scenario, options]] of SCENARIOS.entries()) {
    it(`stays ≤ α: ${name}`, () => {
      const c = outcomes(scenario, 16_000 + i, options);
      expect(c["rolled-back"] / RUNS).toBeLessThanOrEqual(ALPHA);
    });
  }

  it("has a DLQ batch scenario that fails without the max_batch_size bound (the same seeded runs)", () => {
    const [, scenario, options] = DLQ_BATCHES;
    const seed = 16_000 + SCENARIOS.indexOf(DLQ_BATCHES);
    const bounded = outcomes(scenario, seed, options);
    const unbounded = outcomes(scenario, seed, options, { batchBound: false });
    expect(bounded["rolled-back"] / RUNS).toBeLessThanOrEqual(ALPHA);
    expect(unbounded["rolled-back"] / RUNS).toBeGreaterThan(2 * ALPHA);
  });

  it("does not take version-affinity clusters for a split mismatch", () => {
    const rand = seededRandom(31);
    let srm = 0;
    for (let i = 0; i < RUNS; i++) {
      const r = simulateDecisionLoop(healthy(100, { affinity: 30 }), rand, {
        analysis: { alpha: ALPHA },
        steps: STEPS,
      });
      if (r.outcome === "paused" && r.reason.startsWith("sample ratio")) srm++;
    }
    expect(srm / RUNS).toBeLessThanOrEqual(ALPHA);
  });

  it("pauses, and never rolls back, through a common-mode SLO breach", () => {
    const c = outcomes(healthy(300, { incident: { from: 30, to: 180, factor: 5 } }), 99, { slo: { errorRate: 0.02 } });
    expect(c.paused / RUNS).toBeGreaterThan(0.5);
  });

  it("still catches a 3× error regression in the same loop (the simulation can tell)", () => {
    const c = outcomes(healthy(300, { errorEffect: 3 }), 7);
    expect(c["rolled-back"] / RUNS).toBeGreaterThan(0.9);
  });
});
