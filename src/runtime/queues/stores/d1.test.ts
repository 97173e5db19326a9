import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { countingDb as counted } from "../reliability/test-worker.js";
import { d1Idempotency } from "./d1.js";

const T0 = 1_800_000_000_000;

async function setup() {
  await env.Q_DB.exec("CREATE TABLE IF NOT EXISTS ledger (key TEXT NOT NULL, amount INTEGER NOT NULL)");
}

describe("d1Idempotency", () => {
  it("claims and completes 100 keys, with their side effects, in 2 round trips", async () => {
    await setup();
    const { db, calls } = counted(env.Q_DB);
    const store = d1Idempotency(db, { table: "rt_idempotency" });
    const keys = Array.from({ length: 100 }, (_, i) => `rt-${i}`);
    const claims = await store.claim({ keys, owner: "A", now: T0, leaseMs: 1000, ttlMs: 60_000 });
    expect([...claims.values()].filter((c) => c.outcome === "claimed")).toHaveLength(100);
    await store.settle({
      owner: "A",
      now: T0 + 1,
      ttlMs: 60_000,
      done: keys.slice(0, 90).map((key) => ({
        key,
        statements: [db.prepare("INSERT INTO ledger (key, amount) VALUES (?, 1)").bind(key)],
      })),
      failed: keys.slice(90),
    });
    expect(calls()).toBe(2);
    const ledger = await env.Q_DB.prepare("SELECT count(*) AS n FROM ledger WHERE key LIKE 'rt-%'").first<{
      n: number;
    }>();
    expect(ledger?.n).toBe(90);
    const rows = await env.Q_DB.prepare("SELECT status, count(*) AS n FROM rt_idempotency GROUP BY status").all<{
      status: string;
      n: number;
    }>();
    expect(rows.results).toEqual([{ status: "COMPLETED", n: 90 }]);
  });

  it("commits side effects with COMPLETED or not at all: a worker whose lease was taken over commits nothing", async () => {
    await setup();
    const store = d1Idempotency(env.Q_DB, { table: "lease_idempotency" });
    await store.claim({ keys: ["slow", "fast"], owner: "A", now: T0, leaseMs: 1000, ttlMs: 60_000 });
    // A hangs past its lease; B takes "slow" over and commits it.
    await store.claim({ keys: ["slow"], owner: "B", now: T0 + 1500, leaseMs: 1000, ttlMs: 60_000 });
    const effect = (key: string, who: string) =>
      env.Q_DB.prepare("INSERT INTO ledger (key, amount) VALUES (?, ?)").bind(`lease-${key}-${who}`, 1);
    const b = await store.settle({
      owner: "B",
      now: T0 + 1600,
      ttlMs: 60_000,
      done: [{ key: "slow", statements: [effect("slow", "B")] }],
      failed: [],
    });
    expect(b.get("slow")).toEqual({ ok: true });
    // A wakes up and tries to complete both: "slow" is refused, "fast" still commits.
    const a = await store.settle({
      owner: "A",
      now: T0 + 1700,
      ttlMs: 60_000,
      done: [
        { key: "slow", statements: [effect("slow", "A")] },
        { key: "fast", statements: [effect("fast", "A")] },
      ],
      failed: [],
    });
    expect(a.get("slow")).toMatchObject({ ok: false, reason: "lease_lost" });
    expect(a.get("fast")).toEqual({ ok: true });
    const { results } = await env.Q_DB.prepare("SELECT key FROM ledger WHERE key LIKE 'lease-%' ORDER BY key").all<{
      key: string;
    }>();
    expect(results.map((r) => r.key)).toEqual(["lease-fast-A", "lease-slow-B"]);
  });

  it("a failing statement fails only its own message, and leaves neither its effects nor COMPLETED", async () => {
    await setup();
    const store = d1Idempotency(env.Q_DB, { table: "bad_idempotency" });
    await store.claim({ keys: ["good", "bad"], owner: "A", now: T0, leaseMs: 1000, ttlMs: 60_000 });
    const out = await store.settle({
      owner: "A",
      now: T0 + 1,
      ttlMs: 60_000,
      done: [
        { key: "good", statements: [env.Q_DB.prepare("INSERT INTO ledger (key, amount) VALUES ('bad-good', 1)")] },
        {
          key: "bad",
          statements: [
            env.Q_DB.prepare("INSERT INTO ledger (key, amount) VALUES ('bad-bad', 1)"),
            env.Q_DB.prepare("INSERT INTO ledger (key, amount) VALUES ('bad-null', NULL)"),
          ],
        },
      ],
      failed: [],
    });
    expect(out.get("good")).toEqual({ ok: true });
    expect(out.get("bad")).toMatchObject({
      ok: false,
      reason: "side_effect_failed",
      message: expect.stringMatching(/NOT NULL/),
    });
    const { results } = await env.Q_DB.prepare("SELECT key FROM ledger WHERE key LIKE 'bad-%'").all<{ key: string }>();
    expect(results.map((r) => r.key)).toEqual(["bad-good"]);
    expect(await store.inspect("bad", T0 + 2)).toBeNull();
    expect((await store.inspect("good", T0 + 2))?.state).toBe("COMPLETED");
  });

  it("refuses a table name that is not a plain identifier", () => {
    expect(() => d1Idempotency(env.Q_DB, { table: "x; DROP TABLE y" })).toThrow(/plain SQL identifier/);
  });
});
