import { env, SELF } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { createFlagReader, defineFlags, type FlagStore } from "./flags.js";
import { createFlagMemo, memoRead, StoreTimeoutError } from "./memo.js";
import { durableObjectStore, envStore, envVarName, kvStore } from "./stores.js";
import { OPS } from "./test-worker.js";

const TOKEN = "s3cr3t-ops-token-for-tests-0123456789";

function manualClock(start = 0) {
  let now = start;
  return {
    now: () => now,
    set: (t: number) => {
      now = t;
    },
  };
}

async function flip(name: string, value: string, actor = "alice"): Promise<Response> {
  return SELF.fetch(`http://ops/__blastwall/ops/flags/${encodeURIComponent(name)}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ value, actor }),
  });
}

describe("defineFlags", () => {
  it("requires a fail mode on every flag", () => {
    expect(() => defineFlags({ x: { failMode: "maybe" as "open" } })).toThrow(/must declare failMode/);
    expect(() => defineFlags({ "bad name": { failMode: "open" } })).toThrow(/not a valid flag name/);
    expect(defineFlags({ "pause_consumer:*": { failMode: "open" } })).toBeDefined();
  });
});

describe("flag reader", () => {
  it("reads the Durable Object store: unset is DEFAULT, a set value is STATIC, then CACHED", async () => {
    const clock = manualClock(1_000);
    const store = durableObjectStore(env.OPS_DO, { name: "reader-basic", clock: clock.now, memo: createFlagMemo() });
    const flags = createFlagReader({ flags: OPS, store });
    expect(await flags.get("disable_writes")).toMatchObject({ value: "0", enabled: false, reason: "DEFAULT" });
    await store.set({ name: "disable_writes", value: "1", actor: "alice" });
    expect(await flags.get("disable_writes")).toMatchObject({
      value: "1",
      enabled: true,
      reason: "STATIC",
      failMode: "open",
      store: "durable-object",
    });
    expect(await flags.get("disable_writes")).toMatchObject({ value: "1", reason: "CACHED" });
  });

  it("matches a family declaration and reports an undeclared flag without throwing", async () => {
    const flags = createFlagReader({ flags: OPS, store: envStore({ OPS_PAUSE_CONSUMER_ORDER_EVENTS: "1" }) });
    expect(await flags.get("pause_consumer:order-events")).toMatchObject({ enabled: true, failMode: "open" });
    const loose = createFlagReader({ flags: {} as typeof OPS, store: envStore({}) });
    expect(await loose.get("disable_writes")).toMatchObject({
      enabled: false,
      reason: "ERROR",
      errorCode: "FLAG_NOT_FOUND",
    });
  });

  it("treats valued flags as enabled unless they are 0 or empty", async () => {
    const defs = defineFlags({ banner: { failMode: "open" }, off: { failMode: "open" }, empty: { failMode: "open" } });
    const flags = createFlagReader({
      flags: defs,
      store: envStore({ OPS_BANNER: "maintenance", OPS_OFF: "0", OPS_EMPTY: "" }),
    });
    expect(await flags.get("banner")).toMatchObject({ value: "maintenance", enabled: true });
    expect(await flags.enabled("off")).toBe(false);
    expect(await flags.enabled("empty")).toBe(false);
  });

  it("maps flag names to env vars", () => {
    expect(envVarName("disable_writes")).toBe("OPS_DISABLE_WRITES");
    expect(envVarName("pause_consumer:order-events")).toBe("OPS_PAUSE_CONSUMER_ORDER_EVENTS");
    expect(envStore({}).stalenessMs).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("memoised reads", () => {
  it("makes one round trip per maxStalenessMs for many concurrent reads", async () => {
    const clock = manualClock(0);
    const load = vi.fn(async () => ({ disable_writes: "1" }));
    const memo = createFlagMemo();
    const opts = { ttlMs: 1000, clock: clock.now, timeoutMs: 1000 };
    const reads = await Promise.all(Array.from({ length: 200 }, () => memoRead(memo, "k", load, opts)));
    expect(load).toHaveBeenCalledTimes(1);
    expect(reads.every((r) => r.value.disable_writes === "1")).toBe(true);
    clock.set(999);
    await memoRead(memo, "k", load, opts);
    expect(load).toHaveBeenCalledTimes(1);
    clock.set(1000);
    await memoRead(memo, "k", load, opts);
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("remembers a failure for the same bound, so a dead store is not hammered", async () => {
    const clock = manualClock(0);
    const load = vi.fn(async (): Promise<string> => {
      throw new Error("down");
    });
    const memo = createFlagMemo();
    const opts = { ttlMs: 1000, clock: clock.now, timeoutMs: 1000 };
    for (let i = 0; i < 5; i++) await expect(memoRead(memo, "k", load, opts)).rejects.toThrow("down");
    expect(load).toHaveBeenCalledTimes(1);
  });

  it("counts a hung round trip as unreachable after timeoutMs", async () => {
    const memo = createFlagMemo();
    const never = () => new Promise<string>(() => {});
    await expect(memoRead(memo, "k", never, { ttlMs: 1000, clock: () => 0, timeoutMs: 20 })).rejects.toBeInstanceOf(
      StoreTimeoutError,
    );
  });

  it("gives up on a hung round trip with each caller's own timer, then starts a fresh one", async () => {
    const clock = manualClock(0);
    const memo = createFlagMemo();
    const opts = { ttlMs: 1000, clock: clock.now, timeoutMs: 20 };
    const load = vi.fn<() => Promise<string>>().mockImplementationOnce(() => new Promise<string>(() => {}));
    load.mockResolvedValue("1");
    const [a, b] = await Promise.allSettled([memoRead(memo, "k", load, opts), memoRead(memo, "k", load, opts)]);
    expect(a.status).toBe("rejected");
    expect(b.status).toBe("rejected");
    expect(load).toHaveBeenCalledTimes(1);
    clock.set(1000);
    expect(await memoRead(memo, "k", load, opts)).toEqual({ value: "1", cached: false });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it("asks the flags object once for 1,000 concurrent reads", async () => {
    let stubs = 0;
    const counting = {
      idFromName: (n: string) => env.OPS_DO.idFromName(n),
      get: (id: DurableObjectId) => {
        stubs++;
        return env.OPS_DO.get(id);
      },
    } as unknown as typeof env.OPS_DO;
    const flags = createFlagReader({ flags: OPS, store: durableObjectStore(counting, { name: "fan-in" }) });
    const reads = await Promise.all(Array.from({ length: 1000 }, () => flags.get("disable_writes")));
    expect(stubs).toBe(1);
    expect(reads.filter((r) => r.reason === "ERROR")).toEqual([]);
  });

  it("shares one memo per binding in an isolate", async () => {
    const clock = manualClock(5_000);
    const a = durableObjectStore(env.OPS_DO, { name: "shared-memo", clock: clock.now });
    await a.set({ name: "disable_writes", value: "0", actor: "t" });
    expect((await a.read("disable_writes")).cached).toBe(false);
    // A second store over the same binding (as a new request would make) reuses the answer.
    const b = durableObjectStore(env.OPS_DO, { name: "shared-memo", clock: clock.now });
    expect(await b.read("disable_writes")).toEqual({ value: "0", cached: true });
  });
});

describe("an admin flip reaches every reader within maxStalenessMs", () => {
  it("with an injected clock, no sleeping", async () => {
    const maxStalenessMs = 1000;
    const clock = manualClock(10_000);
    // Five isolates: each reader has its own memo, first read at a different time.
    const readers = Array.from({ length: 5 }, () =>
      createFlagReader({
        flags: OPS,
        store: durableObjectStore(env.OPS_DO, { maxStalenessMs, clock: clock.now, memo: createFlagMemo() }),
      }),
    );
    const flag = "pause_consumer:flip-test";
    expect((await flip(flag, "0")).status).toBe(200);
    for (const [i, r] of readers.entries()) {
      clock.set(10_000 + i * 200);
      expect((await r.get(flag)).value).toBe("0");
    }
    const flippedAt = 10_900;
    clock.set(flippedAt);
    expect((await flip(flag, "1")).status).toBe(200);
    // Before the bound some isolates may still serve their memo (that is the point of it)...
    clock.set(flippedAt + 300);
    const early = await Promise.all(readers.map((r) => r.get(flag)));
    expect(early.some((e) => e.value === "0" && e.reason === "CACHED")).toBe(true);
    // ...and at the bound every one of them sees the flip.
    clock.set(flippedAt + maxStalenessMs);
    const late = await Promise.all(readers.map((r) => r.get(flag)));
    expect(late.map((e) => e.value)).toEqual(["1", "1", "1", "1", "1"]);
  });
});

describe("an unreachable store", () => {
  it("reads a fail-open flag as off and a fail-closed flag as on, both with the reason", async () => {
    const store = durableObjectStore(env.OPS_DO_DOWN, { memo: createFlagMemo() });
    const flags = createFlagReader({ flags: OPS, store });
    const open = await flags.get("disable_writes");
    const closed = await flags.get("disable_enqueue");
    expect(open).toMatchObject({ value: "0", enabled: false, reason: "ERROR", errorCode: "GENERAL", failMode: "open" });
    expect(closed).toMatchObject({
      value: "1",
      enabled: true,
      reason: "ERROR",
      errorCode: "GENERAL",
      failMode: "closed",
    });
    expect(open.errorMessage).toMatch(
      /durable-object flag store unreachable \(.*overloaded.*\); "disable_writes" fails open/,
    );
    expect(closed.errorMessage).toMatch(/fails closed/);
  });

  it("does the same for a store that hangs, and for KV", async () => {
    const hanging: FlagStore = {
      kind: "test-hang",
      stalenessMs: 1000,
      read: () =>
        memoRead(createFlagMemo(), "k", () => new Promise<never>(() => {}), {
          ttlMs: 1000,
          clock: Date.now,
          timeoutMs: 10,
        }),
    };
    const flags = createFlagReader({ flags: OPS, store: hanging });
    expect(await flags.get("disable_enqueue")).toMatchObject({ enabled: true, reason: "ERROR" });
    const brokenKv = {
      get: async () => {
        throw new Error("KV GET failed: 503");
      },
    } as unknown as KVNamespace;
    const kvFlags = createFlagReader({ flags: OPS, store: kvStore(brokenKv, { memo: createFlagMemo() }) });
    expect(await kvFlags.get("disable_writes")).toMatchObject({ enabled: false, reason: "ERROR", store: "kv" });
  });
});

describe("KV store", () => {
  it("reads ops:<name> and declares propagation plus memo as its staleness", async () => {
    await env.OPS_KV.put("ops:disable_writes", "1");
    const store = kvStore(env.OPS_KV, { memo: createFlagMemo() });
    expect(store.stalenessMs).toBe(61_000);
    const flags = createFlagReader({ flags: OPS, store });
    expect(await flags.get("disable_writes")).toMatchObject({ value: "1", enabled: true, store: "kv" });
    expect(kvStore(env.OPS_KV, { cacheTtlSeconds: 300, memoMs: 500 }).stalenessMs).toBe(300_500);
  });

  it("sees what the admin API mirrored", async () => {
    expect((await flip("pause_consumer:mirror-test", "1", "bob")).status).toBe(200);
    const got = await env.OPS_KV.getWithMetadata<{ actor: string }>("ops:pause_consumer:mirror-test");
    expect(got.value).toBe("1");
    expect(got.metadata?.actor).toBe("bob");
    const flags = createFlagReader({ flags: OPS, store: kvStore(env.OPS_KV, { memo: createFlagMemo() }) });
    expect(await flags.enabled("pause_consumer:mirror-test")).toBe(true);
  });
});
