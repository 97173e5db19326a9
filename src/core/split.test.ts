import { describe, expect, it } from "vitest";
import { BlastwallError } from "./errors.js";
import { assertSplit, SPLIT_SUM_TOLERANCE } from "./split.js";

const v = (versionId: string, percentage: number) => ({ versionId, percentage });

describe("assertSplit", () => {
  it("accepts one version at 100%, two that add up to 100, and decimal shares within the tolerance", () => {
    expect(() => assertSplit([v("a", 100)])).not.toThrow();
    expect(() => assertSplit([v("a", 10), v("b", 90)])).not.toThrow();
    expect(() => assertSplit([v("a", 33.333), v("b", 66.667)])).not.toThrow();
    expect(() => assertSplit([v("a", 0), v("b", 100)])).not.toThrow();
    expect(() => assertSplit([v("a", 10), v("b", 90 + SPLIT_SUM_TOLERANCE / 2)])).not.toThrow();
  });

  it("refuses shares that miss 100 by more than the tolerance", () => {
    expect(() => assertSplit([v("a", 10), v("b", 90 + SPLIT_SUM_TOLERANCE * 2)])).toThrow(/add up to/);
    expect(() => assertSplit([v("a", 10)])).toThrow("the shares add up to 10%, not 100% (a@10)");
  });

  it("refuses no version, three versions, shares outside 0-100, and one version twice", () => {
    expect(() => assertSplit([])).toThrow("a deployment holds 1 or 2 versions, got 0");
    expect(() => assertSplit([v("a", 50), v("b", 25), v("c", 25)])).toThrow("got 3");
    expect(() => assertSplit([v("a", 120), v("b", -20)])).toThrow("share 120% for a is outside 0-100");
    expect(() => assertSplit([v("a", Number.NaN)])).toThrow("outside 0-100");
    expect(() => assertSplit([v("a", 50), v("a", 50)])).toThrow("listed twice");
  });

  it("raises input errors with a fix", () => {
    try {
      assertSplit([v("a", 10)]);
    } catch (err) {
      expect(err).toBeInstanceOf(BlastwallError);
      expect((err as BlastwallError).kind).toBe("input");
      expect((err as BlastwallError).fix).toContain("add up to 100");
    }
    expect.assertions(3);
  });
});
