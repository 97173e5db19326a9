import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { durableObjectIdempotency } from "./durable-object.js";
import { fnv1a } from "./types.js";

describe("durableObjectIdempotency", () => {
  it("spreads keys over its shards by hash", async () => {
    const store = durableObjectIdempotency(env.Q_SHARDS, { shards: 8, prefix: "spread" });
    const keys = Array.from({ length: 200 }, (_, i) => `spread-${i}`);
    const claims = await store.claim({ keys, owner: "A", now: 1000, leaseMs: 1000, ttlMs: 60_000 });
    expect([...claims.values()].every((c) => c.outcome === "claimed")).toBe(true);
    const perShard = new Map<number, number>();
    for (const key of keys) perShard.set(fnv1a(key) % 8, (perShard.get(fnv1a(key) % 8) ?? 0) + 1);
    expect(perShard.size).toBe(8);
    // Each shard holds exactly the keys that hash to it.
    for (let shard = 0; shard < 8; shard++) {
      const stub = env.Q_SHARDS.get(env.Q_SHARDS.idFromName(`spread:${shard}`));
      const mine = keys.filter((k) => fnv1a(k) % 8 === shard);
      for (const key of mine.slice(0, 3)) expect(await stub.inspect(key)).toMatchObject({ key, owner: "A" });
      const other = keys.find((k) => fnv1a(k) % 8 !== shard) ?? "";
      expect(await stub.inspect(other)).toBeNull();
    }
  });

  it("reports lease_lost when completing a claim another worker took over", async () => {
    const store = durableObjectIdempotency(env.Q_SHARDS, { shards: 2, prefix: "lost" });
    await store.claim({ keys: ["x"], owner: "A", now: 1000, leaseMs: 100, ttlMs: 60_000 });
    await store.claim({ keys: ["x"], owner: "B", now: 1200, leaseMs: 100, ttlMs: 60_000 });
    const out = await store.settle({
      owner: "A",
      now: 1250,
      ttlMs: 60_000,
      done: [{ key: "x", statements: [] }],
      failed: [],
    });
    expect(out.get("x")).toMatchObject({ ok: false, reason: "lease_lost" });
  });

  it("refuses a shard count outside 1..1024", () => {
    expect(() => durableObjectIdempotency(env.Q_SHARDS, { shards: 0 })).toThrow(/shards/);
  });
});
