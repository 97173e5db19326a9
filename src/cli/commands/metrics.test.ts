import { describe, expect, it } from "vitest";
import { parseDuration } from "./metrics.js";

describe("metrics --since", () => {
  it("parses --since durations", () => {
    expect(parseDuration("30s")).toBe(30_000);
    expect(parseDuration("5m")).toBe(300_000);
    expect(parseDuration("1h")).toBe(3_600_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(() => parseDuration("5 minutes")).toThrow(/not a duration/);
  });
});
