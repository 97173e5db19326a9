import { describe, expect, it } from "vitest";
import {
  createEProcess,
  DEFAULT_GRID,
  eValue,
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

describe("tempered share test (over-dispersion)", () => {
  it("equals the binomial one without dispersion, and weighs an inflated window less", () => {
    const batch = { hits: 30, trials: 200, nullOdds: 0.1 };
    const plain = updateBernoulli(createEProcess(), batch);
    expect(logEValue(updateShare(createEProcess(), batch))).toBeCloseTo(logEValue(plain), 12);
    expect(logEValue(updateShare(createEProcess(), { ...batch, inflation: 4 }))).toBeLessThan(logEValue(plain));
  });

  it("has expectation exactly ≤ 1 when hits come in clumps of the inflation's size (exact sum)", () => {
    // 20 clumps of 3 requests each; each clump is the canary's with the null probability.
    const clumps = 20;
    const size = 3;
    const nullOdds = 0.25;
    const p0 = nullOdds / (1 + nullOdds);
    let total = 0;
    let pmf = (1 - p0) ** clumps;
    for (let y = 0; y <= clumps; y++) {
      const e = eValue(
        updateShare(createEProcess(), { hits: size * y, trials: size * clumps, nullOdds, inflation: size }),
      );
      total += pmf * e;
      pmf *= ((clumps - y) / (y + 1)) * (p0 / (1 - p0));
    }
    expect(total).toBeCloseTo(1, 10);
  });

  it("has expectation ≤ 1 for dead-letter batches of any mix of sizes up to the inflation (max_batch_size)", () => {
    // A window holds batches of different sizes k ≤ B, each wholly on one version. Tempered by 1/B, a batch's
    // factor is the one-event factor to the power k/B ≤ 1, whose expectation is ≤ 1 by Jensen.
    const max = 10;
    const nullOdds = 0.25;
    const p0 = nullOdds / (1 + nullOdds);
    const batchE = (k: number, inflation: number) =>
      p0 * eValue(updateShare(createEProcess(), { hits: k, trials: k, nullOdds, inflation })) +
      (1 - p0) * eValue(updateShare(createEProcess(), { hits: 0, trials: k, nullOdds, inflation }));
    // Sizes 1, 4, 7 and 10 in one window: the factor is a product over independent batches.
    const window = [1, 4, 7, 10].reduce((e, k) => e * batchE(k, max), 1);
    expect(window).toBeLessThanOrEqual(1 + 1e-12);
    for (let k = 1; k <= max; k++) expect(batchE(k, max)).toBeLessThanOrEqual(1 + 1e-12);
    // A batch larger than the bound breaks it: why the bound is the consumer's max_batch_size, not a guess.
    expect(batchE(2 * max, max)).toBeGreaterThan(1.01);
  });

  it("has a dense grid from 1.01×", () => {
    expect(DEFAULT_GRID[0]).toBeCloseTo(1.01, 12);
    expect(DEFAULT_GRID.length).toBe(24);
  });
});
