import { describe, expect, it } from "vitest";
import { redact } from "./redact.js";

describe("redact", () => {
  it("removes every given secret and any bearer token", () => {
    expect(redact("token abcdef123 and abcdef123 again", ["abcdef123"])).toBe("token [redacted] and [redacted] again");
    expect(redact("Authorization: Bearer xyz-987654321", [])).toBe("Authorization: Bearer [redacted]");
  });

  it("leaves text alone when there is nothing to hide", () => {
    expect(redact("deployed shop-api", [undefined, ""])).toBe("deployed shop-api");
  });
});
