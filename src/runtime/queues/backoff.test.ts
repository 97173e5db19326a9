import { describe, expect, it } from "vitest";
import { backoffSeconds, MAX_DELAY_SECONDS } from "./backoff.js";

describe("backoffSeconds", () => {
  it("doubles from the base per attempt, with jitter between half and all of it", () => {
    const opts = { baseSeconds: 2, capSeconds: 1000 };
    expect(backoffSeconds(1, opts, () => 0)).toBe(1);
    expect(backoffSeconds(1, opts, () => 0.999)).toBe(2);
    expect(backoffSeconds(4, opts, () => 0)).toBe(8);
    expect(backoffSeconds(4, opts, () => 0.999)).toBe(16);
  });

  it("spreads retries: many draws at one attempt are not all equal and stay in range", () => {
    const draws = Array.from({ length: 200 }, () => backoffSeconds(6, { baseSeconds: 1, capSeconds: 600 }));
    expect(new Set(draws).size).toBeGreaterThan(5);
    for (const d of draws) {
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(16);
      expect(d).toBeLessThanOrEqual(32);
    }
  });

  it("never exceeds the cap, nor the 12 h Queues limit", () => {
    expect(backoffSeconds(40, { baseSeconds: 5, capSeconds: 60 }, () => 0.999)).toBe(60);
    const huge = backoffSeconds(40, { baseSeconds: 5, capSeconds: 10 ** 9 }, () => 0.999);
    expect(huge).toBeLessThanOrEqual(MAX_DELAY_SECONDS);
    expect(huge).toBeGreaterThan(MAX_DELAY_SECONDS * 0.99);
  });

  it("rejects negative settings", () => {
    expect(() => backoffSeconds(1, { baseSeconds: -1 })).toThrow(/baseSeconds/);
  });
});
