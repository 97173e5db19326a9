import { ANALYSIS_DEFAULTS } from "../../core/analysis-defaults.js";
import type { ResolvedRampStep } from "../../project/blastwall-config.js";
import { decideStep } from "../state.js";
import {
  type AnalysisOptions,
  type AnalysisState,
  analyzePoll,
  createAnalysis,
  enabledTests,
  latencyBoundsNeeded,
} from "./analyze.js";
import { plannedSteps, stepTargets, type Traffic } from "./sample-size.js";
import { type Scenario, scenarioPreRelease, scenarioTraffic, windowSource } from "./scenarios.js";

/**
 * The ramp's decision loop on simulated traffic: the same analysis, step targets and `decideStep` that
 * `release` runs, with the platform replaced by a scenario's window source. The tests and the bench use it to
 * count false rollbacks over thousands of releases.
 */

export interface DecisionLoopOptions {
  analysis?: Omit<AnalysisOptions, "preRelease">;
  /** Default: blastwall's default steps (5 → 25 → 50 %, 5 min each). */
  steps?: readonly ResolvedRampStep[];
  noData?: { deadlineSeconds: number; action: "rollback" | "pause" };
}

export interface LoopResult {
  outcome: "promoted" | "rolled-back" | "paused";
  /** Seconds from the first ramp step to the decision. */
  seconds: number;
  reason: string;
  /**
   * What the canary served up to the decision (the exposure to a bad canary): its requests and its failed
   * requests (`max(5xx, exceptions)`), as the windows count them. Rows the platform has not reported yet (ingestion
   * lag) and the time the rollback takes are not in it.
   */
  served: { requests: number; failed: number };
}

export const DEFAULT_RAMP: readonly ResolvedRampStep[] = [
  { percent: 5, minDurationSeconds: 300, minSamples: 200 },
  { percent: 25, minDurationSeconds: 300, minSamples: 500 },
  { percent: 50, minDurationSeconds: 300, minSamples: 1000 },
];

/**
 * The ramp `release` would run for the scenario's traffic: each step's planned share and minimum samples
 * (`stepTargets`), as `release` derives them at plan time; from the scenario's true rates unless `traffic` gives
 * a reading.
 *
 * @example
 * rampFor(scenario, createAnalysis({}).options).map((s) => s.percent); // [15, 25, 50] at 20 rps
 */
export function rampFor(
  s: Scenario,
  o: AnalysisState["options"],
  steps: readonly ResolvedRampStep[] = DEFAULT_RAMP,
  deadlineSeconds: number = ANALYSIS_DEFAULTS.noDataDeadlineSeconds,
  traffic: Traffic = { rps: s.rps, errorRate: s.baseErrorRate, seconds: s.preReleaseSeconds },
): ResolvedRampStep[] {
  const targets = stepTargets({
    steps,
    traffic,
    alpha: o.alpha,
    tests: enabledTests(o).length,
    toleratedIncrease: o.toleratedIncrease,
    minSamples: o.minSamples,
    deadlineSeconds,
  });
  return plannedSteps(steps, targets);
}

/**
 * Runs one simulated release through the decision loop.
 *
 * @example
 * simulateDecisionLoop(scenario, seededRandom(1)).outcome; // "promoted"
 */
export function simulateDecisionLoop(
  s: Scenario,
  rand: () => number,
  {
    analysis = {},
    steps = DEFAULT_RAMP,
    noData = { deadlineSeconds: ANALYSIS_DEFAULTS.noDataDeadlineSeconds, action: ANALYSIS_DEFAULTS.noDataAction },
  }: DecisionLoopOptions = {},
): LoopResult {
  const quantiles = analysis.latencyQuantiles ?? ANALYSIS_DEFAULTS.latencyQuantiles;
  // Planned as `plan` plans it: from a reading of the traffic before the release, not the scenario's true rates.
  const traffic = scenarioTraffic(s, rand);
  const preRelease = scenarioPreRelease(s, rand, quantiles);
  let state = createAnalysis({ ...analysis, preRelease });
  const ramp = rampFor(s, state.options, steps, noData.deadlineSeconds, traffic);
  const next = windowSource(s, rand, latencyBoundsNeeded(state));
  let t = 0;
  const served = { requests: 0, failed: 0 };
  for (const step of ramp) {
    if (step.percent >= 100) break;
    let elapsed = 0;
    let canaryRequests = 0;
    for (;;) {
      const w = next(step.percent, s.pollSeconds);
      elapsed += s.pollSeconds;
      t += s.pollSeconds;
      const r = analyzePoll(state, {
        canary: w.canary,
        stable: w.stable,
        seconds: s.pollSeconds,
        percent: step.percent,
        ids: { canary: "canary", stable: "stable" },
        ...(w.extra ? { extra: w.extra } : {}),
      });
      state = r.state;
      canaryRequests += w.canary.requests;
      served.requests += w.canary.requests;
      served.failed += Math.max(w.canary.status["5xx"], w.canary.exceptions);
      const action = decideStep({ step, elapsedSeconds: elapsed, canaryRequests, verdict: r.verdict, noData });
      if (action.action === "wait") continue;
      if (action.action === "advance") break;
      const outcome = action.action === "rollback" ? "rolled-back" : "paused";
      return { outcome, seconds: t, reason: action.reason, served };
    }
  }
  return { outcome: "promoted", seconds: t, reason: "every step advanced", served };
}
