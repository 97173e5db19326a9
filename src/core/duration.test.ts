import { describe, expect, it } from "vitest";
import { durationMs, durationSeconds, isDurationText } from "./duration.js";

describe("durations", () => {
  it("reads every unit into milliseconds", () => {
    expect(durationMs("250ms")).toBe(250);
    expect(durationMs("90s")).toBe(90_000);
    expect(durationMs("5m")).toBe(300_000);
    expect(durationMs("1.5h")).toBe(5_400_000);
    expect(durationMs(" 2m ")).toBe(120_000);
  });

  it("refuses text without a unit or with an unknown one", () => {
    expect(durationMs("300")).toBeUndefined();
    expect(durationMs("5d")).toBeUndefined();
    expect(durationMs("-5m")).toBeUndefined();
    expect(durationMs("")).toBeUndefined();
    expect(isDurationText("300")).toBe(false);
    expect(isDurationText("300s")).toBe(true);
  });

  it("gives seconds: a number is seconds, a string says its unit", () => {
    expect(durationSeconds(90)).toBe(90);
    expect(durationSeconds("90s")).toBe(90);
    expect(durationSeconds("250ms")).toBe(0.25);
    expect(durationSeconds("1h")).toBe(3600);
    expect(() => durationSeconds("1x" as "1s")).toThrow("not a duration: 1x");
  });
});
