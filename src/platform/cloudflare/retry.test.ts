import { describe, expect, it } from "vitest";
import { createRetryPolicy, parseRetryAfter, withRetries } from "./retry.js";

function clock() {
  let t = 0;
  const waits: number[] = [];
  const sleep = async (ms: number) => {
    waits.push(ms);
    t += ms;
  };
  return { now: () => t, sleep, waits };
}

describe("retries", () => {
  it("backs off exponentially up to the cap, and honours Retry-After", () => {
    const p = createRetryPolicy({ baseMs: 1000, capMs: 60_000 });
    expect([1, 2, 3, 7, 10].map((n) => p.delayMs(n))).toEqual([1000, 2000, 4000, 60_000, 60_000]);
    expect(p.delayMs(1, 300)).toBe(300_000);
  });

  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(parseRetryAfter("120", 0)).toBe(120);
    expect(parseRetryAfter(new Date(30_000).toUTCString(), 0)).toBe(30);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
  });

  it("keeps trying through a 5-minute lock-out, then gives up once the budget is spent", async () => {
    const c = clock();
    let calls = 0;
    const lockedUntil = 300_000;
    const r = await withRetries(
      async () => {
        calls++;
        if (c.now() < lockedUntil) throw new Error("429");
        return "ok";
      },
      { policy: createRetryPolicy({ budgetMs: 420_000 }), clock: c, classify: () => ({ retryable: true }) },
    );
    expect(r).toBe("ok");
    expect(c.now()).toBeGreaterThanOrEqual(lockedUntil);
    const c2 = clock();
    await expect(
      withRetries(
        async () => {
          throw new Error("down");
        },
        { policy: createRetryPolicy({ budgetMs: 420_000 }), clock: c2, classify: () => ({ retryable: true }) },
      ),
    ).rejects.toThrow("down");
    expect(c2.now()).toBeLessThanOrEqual(420_000);
    expect(calls).toBeGreaterThan(5);
  });

  it("does not retry what is not retryable", async () => {
    const c = clock();
    let calls = 0;
    await expect(
      withRetries(
        async () => {
          calls++;
          throw new Error("400");
        },
        { policy: createRetryPolicy(), clock: c, classify: () => ({ retryable: false }) },
      ),
    ).rejects.toThrow("400");
    expect(calls).toBe(1);
  });
});
