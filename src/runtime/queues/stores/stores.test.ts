import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { d1Idempotency } from "./d1.js";
import { durableObjectIdempotency } from "./durable-object.js";
import { kvIdempotency } from "./kv.js";
import { type IdempotencyStore, stateOf } from "./types.js";

let n = 0;
const fresh = (label: string) => `${label}-${++n}-${crypto.randomUUID().slice(0, 8)}`;
const T0 = 1_800_000_000_000;
const LEASE = 5_000;
const TTL = 3_600_000;

const stores: [string, () => IdempotencyStore][] = [
  ["d1", () => d1Idempotency(env.Q_DB, { table: "contract_idempotency" })],
  ["durable-object", () => durableObjectIdempotency(env.Q_SHARDS, { shards: 4, prefix: fresh("contract") })],
  ["kv", () => kvIdempotency(env.Q_KV, { prefix: `${fresh("contract")}:` })],
];

describe.each(stores)("%s store", (_kind, make) => {
  it("claims a new key once: a second worker sees it in flight until the lease runs out, then takes over", async () => {
    const store = make();
    const key = fresh("k");
    const a = await store.claim({ keys: [key], owner: "A", now: T0, leaseMs: LEASE, ttlMs: TTL });
    expect(a.get(key)).toEqual({ outcome: "claimed" });
    const b = await store.claim({ keys: [key], owner: "B", now: T0 + 1_000, leaseMs: LEASE, ttlMs: TTL });
    expect(b.get(key)).toEqual({ outcome: "in_flight", leaseUntil: T0 + LEASE });
    expect((await store.inspect(key, T0 + 1_000))?.state).toBe("INPROGRESS");
    expect((await store.inspect(key, T0 + LEASE))?.state).toBe("EXPIRED");
    const c = await store.claim({ keys: [key], owner: "C", now: T0 + LEASE, leaseMs: LEASE, ttlMs: TTL });
    expect(c.get(key)).toEqual({ outcome: "claimed" });
    expect((await store.inspect(key, T0 + LEASE))?.owner).toBe("C");
  });

  it("marks COMPLETED, so later deliveries are duplicates until the TTL passes", async () => {
    const store = make();
    const [k1, k2] = [fresh("k"), fresh("k")];
    await store.claim({ keys: [k1, k2], owner: "A", now: T0, leaseMs: LEASE, ttlMs: TTL });
    const settled = await store.settle({
      owner: "A",
      now: T0 + 10,
      ttlMs: TTL,
      done: [
        { key: k1, statements: [] },
        { key: k2, statements: [] },
      ],
      failed: [],
    });
    expect([...settled.values()].every((s) => s.ok)).toBe(true);
    const again = await store.claim({ keys: [k1, k2], owner: "B", now: T0 + 20, leaseMs: LEASE, ttlMs: TTL });
    expect(again.get(k1)).toEqual({ outcome: "completed" });
    // Long after the lease but inside the TTL: still completed.
    const later = await store.claim({ keys: [k1], owner: "C", now: T0 + TTL / 2, leaseMs: LEASE, ttlMs: TTL });
    expect(later.get(k1)).toEqual({ outcome: "completed" });
    expect((await store.inspect(k2, T0 + 10 + TTL))?.state).toBe("EXPIRED");
    const expired = await store.claim({ keys: [k2], owner: "D", now: T0 + 10 + TTL, leaseMs: LEASE, ttlMs: TTL });
    expect(expired.get(k2)).toEqual({ outcome: "claimed" });
  });

  it("deletes a failed claim, so the retry processes the message again", async () => {
    const store = make();
    const key = fresh("k");
    await store.claim({ keys: [key], owner: "A", now: T0, leaseMs: LEASE, ttlMs: TTL });
    await store.settle({ owner: "A", now: T0 + 1, ttlMs: TTL, done: [], failed: [key] });
    expect(await store.inspect(key, T0 + 2)).toBeNull();
    const retry = await store.claim({ keys: [key], owner: "B", now: T0 + 2, leaseMs: LEASE, ttlMs: TTL });
    expect(retry.get(key)).toEqual({ outcome: "claimed" });
  });

  it("does not delete a claim another worker took over", async () => {
    const store = make();
    const key = fresh("k");
    await store.claim({ keys: [key], owner: "A", now: T0, leaseMs: LEASE, ttlMs: TTL });
    await store.claim({ keys: [key], owner: "B", now: T0 + LEASE + 1, leaseMs: LEASE, ttlMs: TTL });
    await store.settle({ owner: "A", now: T0 + LEASE + 2, ttlMs: TTL, done: [], failed: [key] });
    expect((await store.inspect(key, T0 + LEASE + 3))?.owner).toBe("B");
  });
});

describe("stateOf", () => {
  it("derives EXPIRED from the TTL and from a lapsed lease, never stores it", () => {
    expect(stateOf({ status: "INPROGRESS", leaseUntil: 10, expiresAt: 100 }, 5)).toBe("INPROGRESS");
    expect(stateOf({ status: "INPROGRESS", leaseUntil: 10, expiresAt: 100 }, 10)).toBe("EXPIRED");
    expect(stateOf({ status: "COMPLETED", leaseUntil: 10, expiresAt: 100 }, 50)).toBe("COMPLETED");
    expect(stateOf({ status: "COMPLETED", leaseUntil: 10, expiresAt: 100 }, 100)).toBe("EXPIRED");
  });
});
