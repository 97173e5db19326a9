import { describe, expect, it } from "vitest";
import type { ResolvedRampStep } from "../../project/blastwall-config.js";
import { plannedSteps, requestsFor5x, stepTargets } from "./sample-size.js";

const PRESET: ResolvedRampStep[] = [
  { percent: 5, minDurationSeconds: 300, minSamples: 200 },
  { percent: 25, minDurationSeconds: 300, minSamples: 500 },
  { percent: 50, minDurationSeconds: 300, minSamples: 1000 },
  { percent: 100, minDurationSeconds: 0, minSamples: 0 },
];

const targets = (rps: number, steps = PRESET) =>
  stepTargets({
    steps,
    traffic: { rps, errorRate: 0.005, seconds: 600 },
    alpha: 0.01,
    tests: 2,
    toleratedIncrease: 0.05,
    minSamples: 100,
    deadlineSeconds: 900,
  });

describe("stepTargets", () => {
  it("raises a low-traffic Worker's preset first step so a 5× regression's sample arrives within a third of it", () => {
    const need = requestsFor5x(0.005, 0.01, 2, 1.05);
    const [first] = targets(20);
    expect(first?.percent).toBe(Math.ceil((100 * need) / (20 * 100)));
    expect(20 * ((first?.percent ?? 0) / 100) * 100).toBeGreaterThanOrEqual(need);
    expect(first?.raised).toContain("first step 5% →");
    expect(plannedSteps(PRESET, targets(20)).map((s) => s.percent)).toEqual([first?.percent, 25, 50, 100]);
  });

  it("never raises it past the next step, keeps a busy Worker's 5 %, and keeps a share the config set", () => {
    expect(targets(2)[0]?.percent).toBe(25);
    expect(targets(500)[0]).not.toHaveProperty("raised");
    expect(targets(500)[0]?.percent).toBe(5);
    const set = PRESET.map((s) => ({ ...s, percentSet: true }));
    expect(targets(20, set)[0]?.percent).toBe(5);
  });

  it("warns about a step that expects about its minimum by the deadline, since it falls short in a good share", () => {
    // 2 rps: the second step (25 %) expects 450 canary requests by 900 s and needs 440 or so (0.5 % errors).
    const second = targets(2)[1];
    expect(second?.expected).toBeGreaterThanOrEqual(second?.minSamples ?? Number.POSITIVE_INFINITY);
    expect(second?.warning).toMatch(/about \d+ % of releases at this traffic pause there/);
    expect(targets(20).every((t) => t.warning === undefined)).toBe(true);
    expect(targets(500).every((t) => t.warning === undefined)).toBe(true);
    expect(targets(0.5)[2]?.warning).toContain("the release would pause there");
  });
});
