import { describe, expect, it } from "vitest";
import {
  createEProcess,
  DEFAULT_GRID,
  eValue,
  lgamma,
  logEValue,
  updateBernoulli,
  updatePoisson,
  updateShare,
} from "./e-process.js";

describe("e-process", () => {
  it("starts at e = 1 and rejects a bad grid", () => {
    expect(eValue(createEProcess())).toBeCloseTo(1, 12);
    expect(() => createEProcess({ grid: [0.5] })).toThrow(/> 1/);
  });

  it("grows on evidence against the null and shrinks on evidence for it", () => {
    // Canary holds 10% of traffic; 41 of 59 errors are the canary's: far above its share.
    const bad = updateBernoulli(createEProcess(), { hits: 41, trials: 59, nullOdds: 1000 / 9000 });
    expect(eValue(bad)).toBeGreaterThan(1e6);
    // 5 of 59 is below the share: the e-value falls under 1.
    const good = updateBernoulli(createEProcess(), { hits: 5, trials: 59, nullOdds: 1000 / 9000 });
    expect(eValue(good)).toBeLessThan(1);
  });

  it("splitting a batch gives the same e-value as folding it at once (a product of likelihood ratios)", () => {
    const once = updateBernoulli(createEProcess(), { hits: 12, trials: 40, nullOdds: 0.25 });
    let split = createEProcess();
    split = updateBernoulli(split, { hits: 5, trials: 18, nullOdds: 0.25 });
    split = updateBernoulli(split, { hits: 7, trials: 22, nullOdds: 0.25 });
    expect(logEValue(split)).toBeCloseTo(logEValue(once), 10);
  });

  it("has expectation exactly 1 at the null boundary and below 1 inside the null (one Bernoulli step)", () => {
    const nullOdds = 0.2;
    const p0 = nullOdds / (1 + nullOdds);
    const expectation = (p: number) =>
      p * eValue(updateBernoulli(createEProcess(), { hits: 1, trials: 1, nullOdds })) +
      (1 - p) * eValue(updateBernoulli(createEProcess(), { hits: 0, trials: 1, nullOdds }));
    expect(expectation(p0)).toBeCloseTo(1, 12);
    expect(expectation(p0 / 2)).toBeLessThan(1);
    expect(expectation(p0 * 2)).toBeGreaterThan(1);
  });

  it("Poisson: silence lowers e, a burst far above the expected count raises it", () => {
    expect(eValue(updatePoisson(createEProcess(), { events: 0, expected: 2 }))).toBeLessThan(1);
    expect(eValue(updatePoisson(createEProcess(), { events: 20, expected: 2 }))).toBeGreaterThan(1000);
  });

  it("ignores empty batches", () => {
    const s = createEProcess();
    expect(updateBernoulli(s, { hits: 0, trials: 0, nullOdds: 1 })).toBe(s);
    expect(updatePoisson(s, { events: 3, expected: 0 })).toBe(s);
  });
});

describe("beta-binomial share test", () => {
  it("equals the binomial one without dispersion, and weighs a clumped window less", () => {
    const batch = { hits: 30, trials: 200, nullOdds: 0.1 };
    const plain = updateBernoulli(createEProcess(), batch);
    expect(logEValue(updateShare(createEProcess(), batch))).toBeCloseTo(logEValue(plain), 12);
    const dispersed = updateShare(createEProcess(), { ...batch, kappa: 50 });
    expect(logEValue(dispersed)).toBeLessThan(logEValue(plain));
  });

  it("has expectation ≤ 1 under a beta-binomial null (exact sum over the support)", () => {
    const trials = 40;
    const nullOdds = 0.25;
    const p0 = nullOdds / (1 + nullOdds);
    const kappa = 8;
    const a = p0 * kappa;
    const b = (1 - p0) * kappa;
    let total = 0;
    for (let x = 0; x <= trials; x++) {
      const logPmf =
        lgamma(trials + 1) -
        lgamma(x + 1) -
        lgamma(trials - x + 1) +
        lgamma(x + a) +
        lgamma(trials - x + b) -
        lgamma(trials + kappa) -
        (lgamma(a) + lgamma(b) - lgamma(kappa));
      total += Math.exp(logPmf) * eValue(updateShare(createEProcess(), { hits: x, trials, nullOdds, kappa }));
    }
    expect(total).toBeCloseTo(1, 8);
  });

  it("has a dense grid from 1.01×", () => {
    expect(DEFAULT_GRID[0]).toBeCloseTo(1.01, 12);
    expect(DEFAULT_GRID.length).toBe(24);
    expect(lgamma(10)).toBeCloseTo(Math.log(362880), 10);
  });
});
