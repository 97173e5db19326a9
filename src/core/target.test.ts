import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.js";
import { parseTarget } from "./target.js";

describe("parseTarget", () => {
  it("reads each target, and the command's default when none is given", () => {
    expect(parseTarget("local")).toBe("local");
    expect(parseTarget("cloudflare")).toBe("cloudflare");
    expect(parseTarget(undefined)).toBe("local");
    expect(parseTarget(undefined, "cloudflare")).toBe("cloudflare");
  });

  it("refuses anything else with one message that names every target", () => {
    expect(() => parseTarget("prod")).toThrow(UsageError);
    expect(() => parseTarget("Local")).toThrow('unknown --target "Local"');
    try {
      parseTarget("");
    } catch (err) {
      expect((err as UsageError).fix).toBe("use --target local or --target cloudflare");
      expect((err as UsageError).kind).toBe("input");
    }
    expect.assertions(4);
  });
});
