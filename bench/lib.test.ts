import { describe, expect, it } from "vitest";
import { median, pairedRatios } from "./lib.js";

describe("pairedRatios", () => {
  it("takes the median and range of the ratios of runs taken together, not the ratio of the medians", () => {
    // A slow round (the second) slows both sizes; paired, it stays a ×2 round.
    const small = [1, 3, 1.1];
    const large = [2, 6, 2.42];
    const spread = pairedRatios(small, large);
    expect(spread).toMatchObject({ median: 2, min: 2, n: 3 });
    expect(spread.max).toBeCloseTo(2.2, 10);
    // The ratio of the medians pairs the quick small run with the slow large one.
    expect(median(large) / median(small)).toBeCloseTo(2.2, 10);
  });

  it("pairs only runs that both sizes have", () => {
    expect(pairedRatios([1, 2, 4], [3, 4])).toMatchObject({ median: 2, min: 2, max: 3, n: 2 });
    expect(pairedRatios([], [])).toMatchObject({ n: 0 });
    expect(pairedRatios([], []).median).toBeNaN();
  });
});
