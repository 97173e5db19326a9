import { analyzePoll, createAnalysis } from "../src/release/analysis/analyze.js";
import {
  type CanaryScenario,
  type SimWindow,
  seededRandom,
  simulateCanary,
  windowMetrics,
  zTestDetect,
} from "../src/release/analysis/simulate.js";
import { defineBench, median, round } from "./lib.js";

const ALPHA = 0.01;
const POLL_SECONDS = 10;
const STEPS = [
  { percent: 5, seconds: 600 },
  { percent: 25, seconds: 600 },
  { percent: 50, seconds: 600 },
];
const TRAFFIC_RPS = [20, 100, 500];
const BASE_ERROR_RATE = 0.005;
const EFFECTS = [1.5, 2, 5, 10];
const HEALTHY_PER_TRAFFIC = 400;
const REGRESSED_PER_CELL = 100;
/** Flagger's defaults: request-success-rate ≥ 99 % per 1 m interval, roll back after 5 failed checks. */
const FLAGGER = { intervalSeconds: 60, minSuccessRate: 0.99, threshold: 5 };
/** The fixed-horizon test looks once, at the end of the first step. */
const HORIZON_SECONDS = 600;
const Z_ONE_SIDED = 2.326; // Φ⁻¹(1 − 0.01)

type Method = (windows: readonly SimWindow[]) => number | undefined;

/** This analysis, polled at every window: seconds until rollback, or undefined. */
const sequential: Method = (windows) => {
  let state = createAnalysis({ alpha: ALPHA, latencyQuantiles: [] });
  for (const w of windows) {
    const r = analyzePoll(state, { ...windowMetrics(w), seconds: POLL_SECONDS });
    state = r.state;
    if (r.verdict.action === "rollback") return w.t;
  }
  return undefined;
};

const flaggerStyle: Method = (windows) => {
  let failed = 0;
  let req = 0;
  let err = 0;
  for (const w of windows) {
    req += w.canary.requests;
    err += w.canary.errors;
    if (w.t % FLAGGER.intervalSeconds !== 0) continue;
    // An interval without canary traffic gives Flagger no value; it is not counted either way.
    if (req > 0 && (req - err) / req < FLAGGER.minSuccessRate) failed++;
    req = 0;
    err = 0;
    if (failed >= FLAGGER.threshold) return w.t;
  }
  return undefined;
};

const METHODS = {
  sequential,
  flagger_style: flaggerStyle,
  fixed_horizon: (windows) => zTestDetect(windows, Z_ONE_SIDED, HORIZON_SECONDS),
  peeking_z: (windows) => zTestDetect(windows, Z_ONE_SIDED),
} satisfies Record<string, Method>;
type MethodName = keyof typeof METHODS;

/** Median of detection times where an undetected run counts as never (Infinity). */
function medianDetect(times: (number | undefined)[]): number {
  return median(times.map((t) => t ?? Number.POSITIVE_INFINITY));
}

/**
 * Seeded simulation of healthy and regressed canaries through the same ramp (5 → 25 → 50 %, 10 min each, polled
 * every 10 s). Every method judges the very same request streams: this analysis (anytime-valid e-process), a
 * Flagger-style fixed threshold, a fixed-horizon z-test, and a z-test peeked at every poll (to show why peeking
 * needs anytime-valid statistics).
 */
export default defineBench({
  name: "analysis",
  description:
    "canary analysis: false rollback rate and time to detect, e-process vs Flagger-style threshold vs fixed-horizon test (same simulated streams)",
  run: async () => {
    const rand = seededRandom(0xb1a57);
    const names = Object.keys(METHODS) as MethodName[];
    const healthy: Record<MethodName, number> = { sequential: 0, flagger_style: 0, fixed_horizon: 0, peeking_z: 0 };
    let healthyRuns = 0;
    const detect = new Map<string, (number | undefined)[]>();
    const scenario = (rps: number, effect: number): CanaryScenario => ({
      rps,
      baseErrorRate: BASE_ERROR_RATE,
      effect,
      steps: STEPS,
      pollSeconds: POLL_SECONDS,
    });

    for (const rps of TRAFFIC_RPS) {
      for (let i = 0; i < HEALTHY_PER_TRAFFIC; i++) {
        const windows = simulateCanary(scenario(rps, 1), rand);
        healthyRuns++;
        for (const m of names) if (METHODS[m](windows) !== undefined) healthy[m]++;
      }
      for (const effect of EFFECTS) {
        for (let i = 0; i < REGRESSED_PER_CELL; i++) {
          const windows = simulateCanary(scenario(rps, effect), rand);
          for (const m of names) {
            const key = `${m}|${effect}`;
            const list = detect.get(key) ?? [];
            list.push(METHODS[m](windows));
            detect.set(key, list);
          }
        }
      }
    }

    const regressedRuns = TRAFFIC_RPS.length * EFFECTS.length * REGRESSED_PER_CELL;
    const suffix = (m: MethodName) => (m === "sequential" ? "" : `_${m}`);
    const results = [
      { name: "alpha", value: ALPHA, unit: "probability" },
      { name: "healthy_canaries", value: healthyRuns, unit: "runs" },
      { name: "regressed_canaries", value: regressedRuns, unit: "runs" },
    ];
    for (const m of names) {
      results.push({
        name: `false_rollback_rate${suffix(m)}`,
        value: round(healthy[m] / healthyRuns, 4),
        unit: "rate",
      });
    }
    for (const effect of EFFECTS) {
      const tag = `${effect}x`.replace(".", "_");
      for (const m of names) {
        if (m === "peeking_z") continue;
        const times = detect.get(`${m}|${effect}`) ?? [];
        const md = medianDetect(times);
        results.push({
          name: `median_detect_seconds_${tag}${suffix(m)}`,
          value: Number.isFinite(md) ? md : -1,
          unit: "s (-1: most runs never detected)",
        });
        results.push({
          name: `detection_rate_${tag}${suffix(m)}`,
          value: round(times.filter((t) => t !== undefined).length / Math.max(1, times.length), 3),
          unit: "rate",
        });
      }
    }
    const ours = medianDetect(detect.get("sequential|5") ?? []);
    const flagger = medianDetect(detect.get("flagger_style|5") ?? []);
    results.push({ name: "detect_5x_ratio_vs_flagger_style", value: round(ours / flagger, 3), unit: "ratio" });
    return results;
  },
});
