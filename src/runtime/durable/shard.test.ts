import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FanOutError, fanOut, shardedStub, shardFor } from "./shard.js";
import type { DurableShardCounter } from "./test-worker.js";

declare global {
  namespace Cloudflare {
    interface Env {
      DURABLE_COUNTER: DurableObjectNamespace<DurableShardCounter>;
    }
  }
}

describe("shardFor", () => {
  it("is stable: the same key always maps to the same shard", () => {
    // Pinned values: if these change, every key would silently move to another object in production.
    expect(shardFor("anything", 1)).toBe(0);
    const pinned = ["a", "b", "c", "page:/", "ünïcode"].map((k) => shardFor(k, 8));
    expect(pinned).toEqual([2, 3, 0, 6, 4]);
    expect(shardFor("a", 8)).toBe(shardFor("a", 8));
  });

  it("spreads keys evenly", () => {
    const counts = new Array(16).fill(0);
    for (let i = 0; i < 16_000; i++) counts[shardFor(`key-${i}`, 16)]++;
    for (const c of counts) {
      expect(c).toBeGreaterThan(850);
      expect(c).toBeLessThan(1150);
    }
  });

  it("moves only the keys that go to the new shard when growing", () => {
    let moved = 0;
    for (let i = 0; i < 10_000; i++) {
      const before = shardFor(`key-${i}`, 8);
      const after = shardFor(`key-${i}`, 9);
      if (before !== after) {
        moved++;
        expect(after).toBe(8);
      }
    }
    expect(moved).toBeGreaterThan(900); // ≈ 1/9 of 10,000
    expect(moved).toBeLessThan(1350);
  });

  it("refuses nonsense shard counts", () => {
    expect(() => shardFor("a", 0)).toThrow(/shards 0/);
    expect(() => shardFor("a", 1.5)).toThrow(RangeError);
  });
});

describe("shardedStub and fanOut against real Durable Objects", () => {
  it("routes each key to its shard's object and reads all shards back", async () => {
    const opts = { shards: 4, name: "hits" };
    const keys = Array.from({ length: 40 }, (_, i) => `page:${i}`);
    for (const k of keys) await shardedStub(env.DURABLE_COUNTER, k, opts).add(k, 1);
    await shardedStub(env.DURABLE_COUNTER, "page:0", opts).add("page:0", 5);

    const perShard = await fanOut(env.DURABLE_COUNTER, opts, (stub) => stub.keys());
    expect(perShard).toHaveLength(4);
    const merged = Object.assign({}, ...perShard) as Record<string, number>;
    expect(Object.keys(merged).sort()).toEqual([...keys].sort());
    expect(merged["page:0"]).toBe(6);
    // Each key lives on exactly the shard shardFor names, and more than one shard carries load.
    perShard.forEach((keysOnShard, shard) => {
      for (const k of Object.keys(keysOnShard)) expect(shardFor(k, 4)).toBe(shard);
    });
    expect(perShard.filter((s) => Object.keys(s).length > 0).length).toBeGreaterThan(1);
    const names = await fanOut(env.DURABLE_COUNTER, opts, (stub) => stub.whoami());
    expect(names).toEqual(["hits:0", "hits:1", "hits:2", "hits:3"]);
  });

  it("bounds concurrency and reports failing shards with the others' results", async () => {
    let inFlight = 0;
    let max = 0;
    const err = await fanOut(env.DURABLE_COUNTER, { shards: 6, name: "fo", concurrency: 2 }, async (stub, shard) => {
      inFlight++;
      max = Math.max(max, inFlight);
      try {
        if (shard === 3) await stub.fail();
        return await stub.whoami();
      } finally {
        inFlight--;
      }
    }).catch((e: unknown) => e);
    expect(max).toBe(2);
    expect(err).toBeInstanceOf(FanOutError);
    const f = err as FanOutError<string>;
    expect(f.failures.map((x) => x.shard)).toEqual([3]);
    expect(f.message).toContain("application error");
    expect(f.results).toEqual(["fo:0", "fo:1", "fo:2", undefined, "fo:4", "fo:5"]);
  });
});
