import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { retryDurable, shouldRetryDurable } from "./retry.js";

/** An error decorated the way workerd decorates Durable Object failures. */
function doError(flags: { retryable?: boolean; overloaded?: boolean; remote?: boolean }): Error {
  return Object.assign(new Error(`do error ${JSON.stringify(flags)}`), flags);
}

const noWait = { sleep: async () => {}, random: () => 1 };

describe("shouldRetryDurable", () => {
  it.each([
    [{ overloaded: true, retryable: true, remote: true }, true, false],
    [{ overloaded: true, retryable: true }, false, false],
    [{ retryable: true, remote: true }, true, true],
    [{ retryable: true }, true, false], // never reached the object: the runtime already retried it
    [{ retryable: true }, false, true],
    [{ retryable: false, remote: true }, true, false],
    [{ remote: true }, true, false],
    [{}, true, false],
  ])("%j with runtimeRetries=%s → %s", (flags, runtimeRetries, expected) => {
    expect(shouldRetryDurable(doError(flags), { runtimeRetries })).toBe(expected);
  });

  it("treats non-errors as not retryable", () => {
    expect(shouldRetryDurable("boom")).toBe(false);
    expect(shouldRetryDurable(null)).toBe(false);
  });
});

describe("retryDurable", () => {
  it("never retries an overloaded object", async () => {
    let calls = 0;
    const p = retryDurable(
      () => ({}),
      async () => {
        calls++;
        throw doError({ overloaded: true, retryable: true, remote: true });
      },
      { ...noWait, attempts: 5 },
    );
    await expect(p).rejects.toMatchObject({ overloaded: true });
    expect(calls).toBe(1);
  });

  it("retries a retryable remote error with bounded, growing backoff and a fresh stub each time", async () => {
    const waits: number[] = [];
    let stubs = 0;
    let calls = 0;
    const result = await retryDurable(
      () => ++stubs,
      async (stub, attempt) => {
        calls++;
        expect(stub).toBe(attempt);
        if (attempt < 4) throw doError({ retryable: true, remote: true });
        return "ok";
      },
      {
        attempts: 4,
        baseDelayMs: 100,
        maxDelayMs: 250,
        random: () => 1,
        sleep: async (ms) => {
          waits.push(ms);
        },
      },
    );
    expect(result).toBe("ok");
    expect(calls).toBe(4);
    expect(waits).toEqual([100, 200, 250]);
  });

  it("gives up after the attempt bound with the last error", async () => {
    let calls = 0;
    await expect(
      retryDurable(
        () => ({}),
        async () => {
          calls++;
          throw doError({ retryable: true, remote: true });
        },
        { ...noWait, attempts: 3 },
      ),
    ).rejects.toThrow(/do error/);
    expect(calls).toBe(3);
  });

  it("does not stack retries on errors the runtime already retried", async () => {
    let calls = 0;
    await expect(
      retryDurable(
        () => ({}),
        async () => {
          calls++;
          throw doError({ retryable: true });
        },
        noWait,
      ),
    ).rejects.toThrow();
    expect(calls).toBe(1);
  });

  it("does not retry an application error from a real Durable Object, and works with real stubs", async () => {
    const ns = env.DURABLE_COUNTER;
    let calls = 0;
    await expect(
      retryDurable(
        () => ns.get(ns.idFromName("retry-app")),
        (stub) => {
          calls++;
          return stub.fail();
        },
        noWait,
      ),
    ).rejects.toThrow("application error");
    expect(calls).toBe(1);
    const n = await retryDurable(
      () => ns.get(ns.idFromName("retry-ok")),
      (stub) => stub.add("x", 2),
      noWait,
    );
    expect(n).toBe(2);
  });

  it("refuses a nonsense attempt bound", async () => {
    await expect(
      retryDurable(
        () => ({}),
        async () => 1,
        { attempts: 0 },
      ),
    ).rejects.toThrow(/attempts 0/);
  });
});
