import { describe, expect, it } from "vitest";
import { BlastwallError } from "../cli/errors.js";
import { createPlatform } from "./index.js";
import { LocalPlatform } from "./local/client.js";

describe("createPlatform", () => {
  it("builds the local platform for the project dir", () => {
    const p = createPlatform({ target: "local", projectDir: "examples/shop" });
    expect(p).toBeInstanceOf(LocalPlatform);
    expect(p.target).toBe("local");
  });

  it("says the cloudflare target is not in this build, with exit 2", () => {
    try {
      createPlatform({ target: "cloudflare" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BlastwallError);
      expect((err as BlastwallError).exitCode).toBe(2);
      expect((err as BlastwallError).message).toContain("not in this build");
    }
  });

  it("gives a usable error when the local edge is not running", async () => {
    const p = createPlatform({ target: "local", projectDir: "examples/shop" });
    await expect(p.listVersions("shop-api")).rejects.toThrow(/local edge is not running/);
  });
});
