import type { ResolvedRampStep } from "../../project/blastwall-config.js";
import { DEFAULT_GRID } from "./e-process.js";

/**
 * Minimum samples from the Worker's own traffic. The error test can only speak once the canary has served
 * enough requests to show a clear regression; that number depends on the stable error rate, so it is derived
 * at plan time from the traffic before the release (a busy, error-prone Worker needs fewer than the presets),
 * and `plan` warns when a step cannot reach its minimum before its deadline.
 */

export interface Traffic {
  /** Requests per second to the Worker (all versions) before the release. */
  rps: number;
  /** The stable version's error rate before the release. */
  errorRate: number;
  /** Seconds of traffic the figures rest on. */
  seconds: number;
}

export interface StepTarget {
  /** The step's canary share: as configured, or the preset first step's raised for a low-traffic Worker. */
  percent: number;
  /** Set when the share was raised from the preset's: why. */
  raised?: string;
  /**
   * Canary requests the step needs: a configured minimum as set; a preset one lowered to what a 5× regression at
   * the stable error rate needs (never below the analysis minimum).
   */
  minSamples: number;
  /** Canary requests expected by the step's progress deadline at the pre-release traffic. */
  expected: number;
  /**
   * Set when the step reaches `minSamples` before its deadline in fewer than 90 % of releases at this traffic
   * (Poisson counts): the release pauses there when it does not.
   */
  warning?: string;
}

/** The regression the minimum is sized for: a 5× error rate is caught with about even odds at the minimum. */
const SIZED_FOR = 5;

/**
 * Canary requests at which a 5× error regression gives the error test an expected log e-value of log(K/α) plus
 * the mixture's cost, at the stable error rate `p` (floored so a silent Worker still gets a finite number).
 *
 * @example
 * requestsFor5x(0.005, 0.01, 2, 1.1); // 462
 */
export function requestsFor5x(p: number, alpha: number, tests: number, theta0: number): number {
  const rate = Math.max(p, 1e-4);
  const r = SIZED_FOR / theta0;
  const perError = SIZED_FOR * Math.log(r) - (r - 1) * theta0;
  const needed = Math.log(tests / alpha) + Math.log(DEFAULT_GRID.length);
  return Math.ceil(needed / (perError * rate));
}

export interface StepTargetsOptions {
  steps: readonly ResolvedRampStep[];
  traffic: Traffic;
  alpha: number;
  tests: number;
  toleratedIncrease: number;
  minSamples: number;
  deadlineSeconds: number;
}

/**
 * Each ramp step's minimum samples and whether the traffic reaches it before the step's deadline.
 *
 * @example
 * stepTargets({ steps, traffic: { rps: 5, errorRate: 0.002, seconds: 600 }, alpha: 0.01, tests: 2,
 *   toleratedIncrease: 0.1, minSamples: 100, deadlineSeconds: 900 });
 */
export function stepTargets({
  steps,
  traffic,
  alpha,
  tests,
  toleratedIncrease,
  minSamples,
  deadlineSeconds,
}: StepTargetsOptions): StepTarget[] {
  const need = Math.max(minSamples, requestsFor5x(traffic.errorRate, alpha, tests, 1 + toleratedIncrease));
  const targetOf = (s: ResolvedRampStep) => (s.minSamplesSet ? s.minSamples : Math.min(s.minSamples, need));
  const ramp = steps.filter((s) => s.percent < 100);
  return ramp.map((step, i) => {
    const first = i === 0 ? firstStepShare(step, ramp[1], traffic, need) : undefined;
    const s = first ? { ...step, percent: first.percent } : step;
    const deadline = Math.max(deadlineSeconds, s.minDurationSeconds);
    const expected = Math.floor(traffic.rps * (s.percent / 100) * deadline);
    const target = targetOf(s);
    const base = { percent: s.percent, minSamples: target, expected, ...(first ? { raised: first.why } : {}) };
    const rate = traffic.rps * (s.percent / 100);
    const short = shortfall(target, rate * deadline);
    if (short <= SHORT_ACCEPTED) return base;
    const seconds = rate > 0 ? Math.ceil(meanFor(target) / rate) : Number.POSITIVE_INFINITY;
    const pause =
      expected < target
        ? "the release would pause there"
        : `the canary's requests vary, so about ${Math.round(100 * short)} % of releases at this traffic pause there`;
    return {
      ...base,
      warning: `step ${s.percent}%: about ${expected} canary requests by its ${deadline} s deadline at ${traffic.rps.toFixed(1)} rps, and it needs ${target}; ${pause}. Raise noData.deadline to ${Number.isFinite(seconds) ? `${seconds}s` : "a longer time"}, lower the step's minSamples, or use a larger percent`,
    };
  });
}

/** A step that falls short of its minimum by the deadline in more than this share of releases gets a warning. */
const SHORT_ACCEPTED = 0.1;

/**
 * The chance that a Poisson count with this mean stays below `target`: a step that expects about its minimum by
 * its deadline still falls short in a good share of releases (at 2 rps, 450 expected for 440 needed: 31 %).
 */
function shortfall(target: number, mean: number): number {
  if (mean <= 0) return target > 0 ? 1 : 0;
  let logP = -mean;
  let below = 0;
  for (let k = 0; k < target; k++) {
    below += Math.exp(logP);
    logP += Math.log(mean) - Math.log(k + 1);
  }
  return Math.min(1, below);
}

/** The mean count at which the 5 % lower quantile (normal approximation) reaches `target`. */
function meanFor(target: number): number {
  const z = 1.645;
  return ((z + Math.sqrt(z * z + 4 * target)) / 2) ** 2;
}

/**
 * The preset first step's share for a low-traffic Worker. The first step is there to catch a gross regression
 * while few users see the canary; what it needs is a number of canary requests (those at which a 5× regression is
 * caught with about even odds), not a share. At 5 % of a 20 rps Worker they take over 7 minutes to arrive; the
 * share is raised so that they arrive within a third of the step's minimum duration (at most the next step's share).
 * A bad canary is then rolled back sooner, after somewhat more requests (bench, 5× at 20 rps: a median 527 instead
 * of 419, p90 the same). A share set in the config stands.
 */
function firstStepShare(
  step: ResolvedRampStep,
  next: ResolvedRampStep | undefined,
  traffic: Traffic,
  need: number,
): { percent: number; why: string } | undefined {
  if (step.percentSet || traffic.rps <= 0 || step.minDurationSeconds <= 0) return undefined;
  const wanted = Math.ceil((100 * need) / (traffic.rps * (step.minDurationSeconds / 3)));
  const percent = Math.min(wanted, next?.percent ?? 50);
  if (percent <= step.percent) return undefined;
  return {
    percent,
    why: `first step ${step.percent}% → ${percent}%: at ${traffic.rps.toFixed(1)} rps the ${need} canary requests a 5× regression needs arrive within a third of its ${step.minDurationSeconds} s`,
  };
}

/**
 * The ramp as `release` runs it: the configured steps with each one's planned share and minimum samples.
 *
 * @example
 * plannedSteps(config.steps, plan.traffic?.steps); // [{ percent: 15, minSamples: 440, … }, …]
 */
export function plannedSteps(
  steps: readonly ResolvedRampStep[],
  targets: readonly StepTarget[] | undefined,
): ResolvedRampStep[] {
  let i = 0;
  return steps.map((s) => {
    const t = s.percent < 100 ? targets?.[i++] : undefined;
    return t ? { ...s, percent: t.percent, minSamples: t.minSamples } : { ...s };
  });
}
