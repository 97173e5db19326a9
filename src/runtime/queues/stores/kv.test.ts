import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { KV_MIN_TTL_MS, kvIdempotency } from "./kv.js";

describe("kvIdempotency", () => {
  it("keeps records at least 60 s, even when asked for less", async () => {
    const store = kvIdempotency(env.Q_KV, { prefix: "ttl:" });
    const now = Date.now();
    await store.claim({ keys: ["a"], owner: "A", now, leaseMs: 1000, ttlMs: 5_000 });
    await store.settle({ owner: "A", now, ttlMs: 5_000, done: [{ key: "a", statements: [] }], failed: [] });
    const record = await store.inspect("a", now);
    expect(record?.expiresAt).toBe(now + KV_MIN_TTL_MS);
    const listed = await env.Q_KV.list({ prefix: "ttl:" });
    const expiration = listed.keys[0]?.expiration ?? 0;
    expect(expiration * 1000).toBeGreaterThanOrEqual(now + 59_000);
  });

  it("says it is best effort", () => {
    expect(kvIdempotency(env.Q_KV).guarantee).toBe("best-effort");
  });
});
