import { describe, expect, it } from "vitest";
import { FLAG_NAME_RULE, flagKvKey, flagNameOfKvKey, isFlagName, KV_PREFIX } from "./names.js";

describe("flag names", () => {
  it("accepts plain names and per-queue names such as pause_consumer:<queue>", () => {
    for (const name of ["disable_writes", "pause_consumer:order-events", "rate.limit", "A1", "x".repeat(128)]) {
      expect(isFlagName(name), name).toBe(true);
    }
  });

  it("refuses empty, too long, leading punctuation and other characters", () => {
    for (const name of ["", "x".repeat(129), ":queue", ".x", "-x", "has space", "slash/y", "ops:é"]) {
      expect(isFlagName(name), name).toBe(false);
    }
    expect(FLAG_NAME_RULE).toContain("1-128");
  });

  it("keeps each flag in KV under ops:<name>, and reads the name back", () => {
    expect(KV_PREFIX).toBe("ops:");
    expect(flagKvKey("pause_consumer:order-events")).toBe("ops:pause_consumer:order-events");
    expect(flagNameOfKvKey("ops:pause_consumer:order-events")).toBe("pause_consumer:order-events");
    expect(flagNameOfKvKey("config:theme")).toBeUndefined();
  });
});
