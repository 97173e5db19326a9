import { describe, expect, it } from "vitest";
import { BlastwallError } from "../core/errors.js";
import { createPlatform } from "./index.js";
import { LocalPlatform } from "./local/client.js";

describe("createPlatform", () => {
  it("builds the local platform for the project dir", async () => {
    const p = await createPlatform({ target: "local", projectDir: "examples/shop" });
    expect(p).toBeInstanceOf(LocalPlatform);
    expect(p.target).toBe("local");
  });

  it("builds the cloudflare platform, and without credentials says which to set, with exit 2", async () => {
    const saved = { token: process.env.CLOUDFLARE_API_TOKEN, account: process.env.CLOUDFLARE_ACCOUNT_ID };
    delete process.env.CLOUDFLARE_API_TOKEN;
    delete process.env.CLOUDFLARE_ACCOUNT_ID;
    try {
      await createPlatform({ target: "cloudflare", projectDir: "examples/shop" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(BlastwallError);
      expect((err as BlastwallError).kind).toBe("input");
      expect((err as BlastwallError).message).toContain("CLOUDFLARE_API_TOKEN");
    }
    process.env.CLOUDFLARE_API_TOKEN = "test-token";
    process.env.CLOUDFLARE_ACCOUNT_ID = "0123456789abcdef";
    try {
      expect((await createPlatform({ target: "cloudflare", projectDir: "examples/shop" })).target).toBe("cloudflare");
    } finally {
      for (const [k, v] of [
        ["CLOUDFLARE_API_TOKEN", saved.token],
        ["CLOUDFLARE_ACCOUNT_ID", saved.account],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it("gives a usable error when the local edge is not running", async () => {
    const p = await createPlatform({ target: "local", projectDir: "examples/shop" });
    await expect(p.listVersions("shop-api")).rejects.toThrow(/local edge is not running/);
  });
});
