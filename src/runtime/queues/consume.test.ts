import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import * as v from "valibot";
import { describe, expect, it, vi } from "vitest";
import { type ConsumeOptions, consume, DEFAULT_MAX_RETRIES, type DeadLetter } from "./consume.js";
import { defineMessage } from "./envelope.js";
import { countingDb } from "./reliability/test-worker.js";
import { d1Idempotency } from "./stores/d1.js";
import { durableObjectIdempotency } from "./stores/durable-object.js";
import { kvIdempotency } from "./stores/kv.js";
import type { IdempotencyStore } from "./stores/types.js";

const itemAdded = defineMessage("item.added", {
  versions: {
    1: v.object({ sku: v.string(), qty: v.number() }),
    2: v.object({ sku: v.string(), qty: v.number(), unit: v.string() }),
  },
  upcast: { 1: (d) => ({ ...d, unit: "piece" }) },
});

let seq = 0;
const uid = (p: string) => `${p}-${++seq}-${crypto.randomUUID().slice(0, 6)}`;
const envelope = (id: string, v: number, data: unknown) => ({
  type: "item.added",
  v,
  id,
  source: "test",
  time: new Date().toISOString(),
  data,
});

function batchOf(bodies: unknown[], attempts = 1) {
  const messages = bodies.map((body) => ({ id: uid("m"), timestamp: new Date(), attempts, body }));
  return createMessageBatch("items", messages);
}

async function run<T>(
  batch: MessageBatch<unknown>,
  handler: Parameters<typeof consume<T>>[1],
  options: ConsumeOptions<T>,
) {
  const ctx = createExecutionContext();
  // getQueueResult() does not report delays, so record what consume() asks the platform for.
  const delays = new Map<string, number | undefined>();
  for (const m of batch.messages) {
    const original = m.retry.bind(m);
    m.retry = (o?: QueueRetryOptions) => {
      delays.set(m.id, o?.delaySeconds);
      original(o);
    };
  }
  let retryAllDelay: number | undefined;
  const retryAll = batch.retryAll.bind(batch);
  batch.retryAll = (o?: QueueRetryOptions) => {
    retryAllDelay = o?.delaySeconds;
    retryAll(o);
  };
  const result = await consume(batch, handler, { log: () => {}, ...options });
  const queue = await getQueueResult(batch, ctx);
  return { result, queue, delays: [...delays.values()], retryAllDelay };
}

async function waitFor<T>(read: () => Promise<T | null>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const got = await read();
    if (got !== null) return got;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("timed out waiting");
}

const deadLetterOf = (messageId: string) => waitFor(() => env.Q_KV.get<DeadLetter>(`dlq:${messageId}`, "json"));

async function ledger() {
  await env.Q_DB.exec("CREATE TABLE IF NOT EXISTS items (key TEXT NOT NULL, sku TEXT NOT NULL, unit TEXT NOT NULL)");
  return {
    insert: (key: string, sku: string, unit: string) =>
      env.Q_DB.prepare("INSERT INTO items (key, sku, unit) VALUES (?, ?, ?)").bind(key, sku, unit),
    count: async (sku: string) =>
      (await env.Q_DB.prepare("SELECT count(*) AS n FROM items WHERE sku = ?").bind(sku).first<{ n: number }>())?.n,
  };
}

describe("consume", () => {
  it("acks processed messages, upcasts v1 to v2, and commits returned statements once", async () => {
    const items = await ledger();
    const sku = uid("sku");
    const batch = batchOf([
      envelope(uid("e"), 1, { sku, qty: 1 }),
      envelope(uid("e"), 2, { sku, qty: 2, unit: "box" }),
    ]);
    const seen: string[] = [];
    const { result, queue } = await run(
      batch,
      (item, { key }) => {
        seen.push(item.unit);
        return [items.insert(key, item.sku, item.unit)];
      },
      { idempotency: d1Idempotency(env.Q_DB), message: itemAdded },
    );
    expect(result).toMatchObject({ processed: 2, retried: 0, deadLettered: 0, duplicates: 0 });
    expect(queue.explicitAcks).toHaveLength(2);
    expect(seen.sort()).toEqual(["box", "piece"]);
    expect(await items.count(sku)).toBe(2);
  });

  it("acks a redelivered or repeated message as a duplicate without running the handler again", async () => {
    const items = await ledger();
    const sku = uid("sku");
    const body = envelope(uid("e"), 2, { sku, qty: 1, unit: "kg" });
    const handler = vi.fn((item: { sku: string; unit: string }, { key }: { key: string }) => [
      items.insert(key, item.sku, item.unit),
    ]);
    const options = { idempotency: d1Idempotency(env.Q_DB), message: itemAdded };
    const first = await run(batchOf([body, body]), handler, options);
    expect(first.result).toMatchObject({ processed: 1, duplicates: 1 });
    const second = await run(batchOf([body], 2), handler, options);
    expect(second.result).toMatchObject({ processed: 0, duplicates: 1 });
    expect(second.queue.explicitAcks).toHaveLength(1);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(await items.count(sku)).toBe(1);
  });

  it("retries a failing handler with backoff, releases its claim, and processes it on the next delivery", async () => {
    const store = d1Idempotency(env.Q_DB);
    const body = envelope(uid("e"), 2, { sku: "s", qty: 1, unit: "kg" });
    let fail = true;
    const handler = () => {
      if (fail) throw new Error("downstream 503");
    };
    const opts = {
      idempotency: store,
      message: itemAdded,
      backoff: { baseSeconds: 10, capSeconds: 100 },
      random: () => 0,
    };
    const first = await run(batchOf([body], 2), handler, opts);
    expect(first.result).toMatchObject({ processed: 0, retried: 1 });
    expect(first.queue.retryMessages).toHaveLength(1);
    // attempts 2 → base·2 = 20 s, equal jitter with random 0 → 10 s.
    expect(first.delays).toEqual([10]);
    expect(first.result.outcomes[0]).toMatchObject({ reason: "handler_error", error: "Error: downstream 503" });
    expect(await store.inspect(`test#${body.id}`, Date.now())).toBeNull();
    fail = false;
    const second = await run(batchOf([body], 3), handler, opts);
    expect(second.result).toMatchObject({ processed: 1, duplicates: 0 });
  });

  it("sends a message that keeps failing to the dead-letter producer with its original body, and acks it", async () => {
    const body = envelope(uid("e"), 2, { sku: "s", qty: 1, unit: "kg" });
    const batch = batchOf([body], 5);
    const { result, queue } = await run(
      batch,
      () => {
        throw new TypeError("cannot read total");
      },
      { idempotency: d1Idempotency(env.Q_DB), message: itemAdded, maxAttempts: 5, deadLetter: env.Q_DLQ },
    );
    expect(result).toMatchObject({ processed: 0, deadLettered: 1, retried: 0 });
    const id = batch.messages[0]?.id ?? "";
    expect(queue.explicitAcks).toEqual([id]);
    const letter = await deadLetterOf(id);
    expect(letter).toMatchObject({
      original: body,
      error: { reason: "handler_error", message: "TypeError: cannot read total" },
      queue: "items",
      attempts: 5,
      key: `test#${body.id}`,
    });
  });

  it("dead-letters an invalid payload at once, with the validation issues, and goes on with the batch", async () => {
    const bad = envelope(uid("e"), 2, { sku: "s", qty: "three", unit: "kg" });
    const good = envelope(uid("e"), 2, { sku: "s", qty: 3, unit: "kg" });
    const batch = batchOf([bad, "not json at all", good]);
    const { result } = await run(batch, () => {}, {
      idempotency: d1Idempotency(env.Q_DB),
      message: itemAdded,
      deadLetter: env.Q_DLQ,
    });
    expect(result).toMatchObject({ processed: 1, deadLettered: 2, retried: 0 });
    const letter = await deadLetterOf(batch.messages[0]?.id ?? "");
    expect(letter.original).toEqual(bad);
    expect(letter.error.reason).toBe("invalid");
    expect(letter.error.issues?.[0]).toMatchObject({ path: "data.qty" });
    expect((await deadLetterOf(batch.messages[1]?.id ?? "")).original).toBe("not json at all");
  });

  it("falls back to one send per letter when sendBatch fails, and retries when the DLQ refuses entirely", async () => {
    const sent: unknown[] = [];
    const flaky = {
      sendBatch: () => Promise.reject(new Error("batch too large")),
      send: async (body: unknown) => {
        sent.push(body);
      },
    } as unknown as Queue;
    const bad = [envelope(uid("e"), 2, { sku: 1 }), envelope(uid("e"), 2, { sku: 2 })];
    const one = await run(batchOf(bad), () => {}, {
      idempotency: d1Idempotency(env.Q_DB),
      message: itemAdded,
      deadLetter: flaky,
    });
    expect(one.result).toMatchObject({ processed: 0, deadLettered: 2 });
    expect(sent.map((l) => (l as DeadLetter).original)).toEqual(bad);
    const down = {
      sendBatch: () => Promise.reject(new Error("queue down")),
      send: () => Promise.reject(new Error("queue down")),
    } as unknown as Queue;
    const two = await run(batchOf(bad), () => {}, {
      idempotency: d1Idempotency(env.Q_DB),
      message: itemAdded,
      deadLetter: down,
    });
    expect(two.result).toMatchObject({ processed: 0, retried: 2, deadLettered: 0 });
    expect(two.result.outcomes.map((o) => o.reason)).toEqual(["dead_letter_error", "dead_letter_error"]);
  });

  it("retries a message whose upcaster throws (a consumer bug), instead of dead-lettering it at once", async () => {
    const buggy = defineMessage("item.added", {
      versions: { 1: v.object({ sku: v.string() }), 2: v.object({ sku: v.string(), n: v.number() }) },
      upcast: {
        1: () => {
          throw new Error("upcaster bug");
        },
      },
    });
    const { result } = await run(batchOf([envelope(uid("e"), 1, { sku: "s" })]), () => {}, {
      idempotency: d1Idempotency(env.Q_DB),
      message: buggy,
      deadLetter: env.Q_DLQ,
    });
    expect(result).toMatchObject({ retried: 1, deadLettered: 0 });
    expect(result.outcomes[0]?.error).toMatch(/decoding threw: Error: upcaster bug/);
  });

  it("retries a version newer than it knows, then dead-letters it after maxAttempts", async () => {
    const v3 = envelope(uid("e"), 3, { sku: "s" });
    const opts = { idempotency: d1Idempotency(env.Q_DB), message: itemAdded, maxAttempts: 3, deadLetter: env.Q_DLQ };
    const early = await run(batchOf([v3], 1), () => {}, opts);
    expect(early.result).toMatchObject({ retried: 1, deadLettered: 0 });
    expect(early.queue.retryMessages).toHaveLength(1);
    expect(early.delays[0]).toBeGreaterThan(0);
    const last = batchOf([v3], 3);
    const late = await run(last, () => {}, opts);
    expect(late.result).toMatchObject({ processed: 0, deadLettered: 1 });
    expect((await deadLetterOf(last.messages[0]?.id ?? "")).error.reason).toBe("newer_version");
  });

  it("leaves dead letters to the platform when so configured: retried, counted as dead-lettered on the last attempt", async () => {
    const bad = envelope(uid("e"), 2, { sku: 1 });
    const opts = { idempotency: d1Idempotency(env.Q_DB), message: itemAdded, maxAttempts: 4 };
    const early = await run(batchOf([bad], 1), () => {}, opts);
    expect(early.result).toMatchObject({ retried: 1, deadLettered: 0, processed: 0 });
    expect(early.delays).toEqual([0]);
    const last = await run(batchOf([bad], 4), () => {}, opts);
    expect(last.result).toMatchObject({ retried: 0, deadLettered: 1, processed: 0 });
    expect(last.queue.retryMessages).toHaveLength(1);
  });

  it("retries a key whose lease another worker holds, after the lease, without running the handler", async () => {
    const store = d1Idempotency(env.Q_DB);
    const body = envelope(uid("e"), 2, { sku: "s", qty: 1, unit: "kg" });
    await store.claim({ keys: [`test#${body.id}`], owner: "other", now: Date.now(), leaseMs: 30_000, ttlMs: 60_000 });
    const handler = vi.fn();
    const { result, queue, delays } = await run(batchOf([body]), handler, {
      idempotency: store,
      message: itemAdded,
      random: () => 0,
    });
    expect(handler).not.toHaveBeenCalled();
    expect(result).toMatchObject({ retried: 1, duplicates: 0 });
    expect(result.outcomes[0]?.reason).toBe("in_flight");
    expect(queue.retryMessages).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(29);
    expect(delays[0]).toBeLessThanOrEqual(31);
  });

  it("counts each message once: processed, duplicates, retried and dead-lettered are disjoint and add up", async () => {
    const items = await ledger();
    const sku = uid("sku");
    const seen = envelope(uid("e"), 2, { sku, qty: 1, unit: "kg" });
    await run(batchOf([seen]), (i, { key }) => [items.insert(key, i.sku, i.unit)], {
      idempotency: d1Idempotency(env.Q_DB),
      message: itemAdded,
    });
    const fresh = envelope(uid("e"), 2, { sku, qty: 1, unit: "kg" });
    const failing = envelope(uid("e"), 2, { sku, qty: 1, unit: "fail" });
    const batch = batchOf([fresh, fresh, seen, failing, "garbage"]);
    const { result, queue } = await run(
      batch,
      (i, { key }) => {
        if (i.unit === "fail") throw new Error("refused");
        return [items.insert(key, i.sku, i.unit)];
      },
      { idempotency: d1Idempotency(env.Q_DB), message: itemAdded, deadLetter: env.Q_DLQ },
    );
    expect(result).toMatchObject({ processed: 1, duplicates: 2, retried: 1, deadLettered: 1 });
    expect(result.processed + result.duplicates + result.retried + result.deadLettered).toBe(batch.messages.length);
    expect(result.outcomes.map((o) => o.action).sort()).toEqual(["ack", "ack", "ack", "dead_letter", "retry"]);
    expect(queue.explicitAcks).toHaveLength(4);
    expect(await items.count(sku)).toBe(2);
  });

  it("defaults maxAttempts to Cloudflare's default max_retries (3) + 1", async () => {
    expect(DEFAULT_MAX_RETRIES).toBe(3);
    const body = envelope(uid("e"), 2, { sku: "s", qty: 1, unit: "kg" });
    const fail = () => {
      throw new Error("still failing");
    };
    const opts = { idempotency: d1Idempotency(env.Q_DB), message: itemAdded, deadLetter: env.Q_DLQ };
    expect((await run(batchOf([body], 3), fail, opts)).result).toMatchObject({ retried: 1, deadLettered: 0 });
    expect((await run(batchOf([body], 4), fail, opts)).result).toMatchObject({ retried: 0, deadLettered: 1 });
    await expect(consume(batchOf([body]), fail, { ...opts, maxAttempts: 0 })).rejects.toThrow(/maxAttempts/);
  });

  it("never throws when the store fails: every message is retried", async () => {
    const down: IdempotencyStore = {
      kind: "down",
      guarantee: "strong",
      commitsStatements: true,
      claim: () => Promise.reject(new Error("D1 overloaded")),
      settle: () => Promise.reject(new Error("D1 overloaded")),
      inspect: () => Promise.resolve(null),
    };
    const batch = batchOf([
      envelope(uid("e"), 2, { sku: "s", qty: 1, unit: "kg" }),
      envelope(uid("e"), 2, { sku: "t", qty: 1, unit: "kg" }),
    ]);
    const { result, queue } = await run(batch, () => {}, { idempotency: down, message: itemAdded });
    expect(result).toMatchObject({ processed: 0, retried: 2 });
    expect(queue.retryMessages).toHaveLength(2);
  });

  it("with a Durable Object or KV store, runs returned statements through options.sideEffects", async () => {
    const items = await ledger();
    for (const store of [
      durableObjectIdempotency(env.Q_SHARDS, { prefix: uid("consume") }),
      kvIdempotency(env.Q_KV, { prefix: `${uid("consume")}:` }),
    ]) {
      const sku = uid("sku");
      const body = envelope(uid("e"), 2, { sku, qty: 1, unit: "kg" });
      const handler = (item: { sku: string; unit: string }, { key }: { key: string }) => [
        items.insert(key, item.sku, item.unit),
      ];
      const opts = { idempotency: store, message: itemAdded, sideEffects: env.Q_DB };
      expect((await run(batchOf([body]), handler, opts)).result).toMatchObject({ processed: 1 });
      expect((await run(batchOf([body], 2), handler, opts)).result).toMatchObject({ processed: 0, duplicates: 1 });
      expect(await items.count(sku)).toBe(1);
      // Without a database to run them in, returning statements is a handler error, not a silent drop.
      const other = envelope(uid("e"), 2, { sku, qty: 1, unit: "kg" });
      const noDb = await run(batchOf([other]), handler, { idempotency: store, message: itemAdded });
      expect(noDb.result.outcomes[0]).toMatchObject({
        action: "retry",
        error: expect.stringMatching(/set options.sideEffects/),
      });
    }
  });

  it("retries a message whose statements fail to commit as a handler error, and commits the rest of the batch", async () => {
    const items = await ledger();
    // D1 commits the statements in settle(); the Durable Object store leaves them to options.sideEffects.
    for (const store of [d1Idempotency(env.Q_DB), durableObjectIdempotency(env.Q_SHARDS, { prefix: uid("fx") })]) {
      const sku = uid("sku");
      const good = envelope(uid("e"), 2, { sku, qty: 1, unit: "kg" });
      const bad = envelope(uid("e"), 2, { sku: "broken", qty: 1, unit: "kg" });
      const handler = (item: { sku: string; unit: string }, { key }: { key: string }) => [
        item.sku === "broken"
          ? env.Q_DB.prepare("INSERT INTO no_such_table (key) VALUES (?)").bind(key)
          : items.insert(key, item.sku, item.unit),
      ];
      const opts = { idempotency: store, message: itemAdded, sideEffects: env.Q_DB, random: () => 0 };
      const { result } = await run(batchOf([good, bad]), handler, opts);
      expect(result).toMatchObject({ processed: 1, retried: 1 });
      expect(result.outcomes.find((o) => o.action === "retry")).toMatchObject({
        key: `test#${bad.id}`,
        reason: "handler_error",
        error: expect.stringMatching(/no_such_table/),
      });
      expect(await items.count(sku)).toBe(1);
    }
  });

  it("without a message definition, passes bodies as they are and keys by message id", async () => {
    const seen: unknown[] = [];
    const batch = batchOf([{ raw: 1 }]);
    const { result } = await run(
      batch,
      (body, { key }) => {
        seen.push([body, key]);
      },
      { idempotency: d1Idempotency(env.Q_DB) },
    );
    expect(result.processed).toBe(1);
    expect(seen).toEqual([[{ raw: 1 }, batch.messages[0]?.id]]);
  });
});

describe("consume({ speculative: true })", () => {
  const fresh = (sku: string) => envelope(uid("e"), 2, { sku, qty: 1, unit: "kg" });

  it("claims, commits and completes a batch without duplicates in one round trip", async () => {
    const items = await ledger();
    const { db, calls } = countingDb(env.Q_DB);
    const store = d1Idempotency(db, { table: "spec_idempotency" });
    await store.claim({ keys: [], owner: "warm", now: Date.now(), leaseMs: 1, ttlMs: 1 });
    const sku = uid("sku");
    const handler = (item: { sku: string; unit: string }, { key }: { key: string }) => [
      items.insert(key, item.sku, item.unit),
    ];
    const before = calls();
    const { result } = await run(batchOf(Array.from({ length: 20 }, () => fresh(sku))), handler, {
      idempotency: store,
      message: itemAdded,
      speculative: true,
    });
    expect(result).toMatchObject({ processed: 20, duplicates: 0 });
    expect(calls() - before).toBe(1);
    expect(await items.count(sku)).toBe(20);
  });

  it("falls back to claim-first on a duplicate: the duplicate is acked and its statements are not committed", async () => {
    const items = await ledger();
    const store = d1Idempotency(env.Q_DB, { table: "spec_idempotency" });
    const sku = uid("sku");
    const seen = fresh(sku);
    const handler = vi.fn((item: { sku: string; unit: string }, { key }: { key: string }) => [
      items.insert(key, item.sku, item.unit),
    ]);
    const opts = { idempotency: store, message: itemAdded, speculative: true };
    await run(batchOf([seen]), handler, opts);
    const { result } = await run(batchOf([seen, fresh(sku), fresh(sku)], 2), handler, opts);
    expect(result).toMatchObject({ processed: 2, duplicates: 1 });
    expect(await items.count(sku)).toBe(3);
    // Once in the first batch, and once per key in the second: never rerun by the fallback.
    expect(handler).toHaveBeenCalledTimes(4);
  });

  it("falls back when a handler fails: the failure is retried, the others commit, and nothing runs twice", async () => {
    const items = await ledger();
    const store = d1Idempotency(env.Q_DB, { table: "spec_idempotency" });
    const sku = uid("sku");
    const bad = envelope(uid("e"), 2, { sku: "explode", qty: 1, unit: "kg" });
    const handler = vi.fn((item: { sku: string; unit: string }, { key }: { key: string }) => {
      if (item.sku === "explode") throw new Error("boom");
      return [items.insert(key, item.sku, item.unit)];
    });
    const { result } = await run(batchOf([fresh(sku), bad, fresh(sku)]), handler, {
      idempotency: store,
      message: itemAdded,
      speculative: true,
    });
    expect(result).toMatchObject({ processed: 2, retried: 1 });
    expect(handler).toHaveBeenCalledTimes(3);
    expect(await items.count(sku)).toBe(2);
    expect(await store.inspect(`test#${bad.id}`, Date.now())).toBeNull();
  });

  it("falls back when another worker holds a key: that key is retried after its lease", async () => {
    const store = d1Idempotency(env.Q_DB, { table: "spec_idempotency" });
    const held = fresh("held");
    await store.claim({ keys: [`test#${held.id}`], owner: "other", now: Date.now(), leaseMs: 20_000, ttlMs: 60_000 });
    const { result } = await run(batchOf([held, fresh("free")]), () => {}, {
      idempotency: store,
      message: itemAdded,
      speculative: true,
    });
    expect(result).toMatchObject({ processed: 1, retried: 1 });
    expect(result.outcomes.find((o) => o.action === "retry")?.reason).toBe("in_flight");
  });
});

describe("consume through the real queue broker", () => {
  it("processes, deduplicates and dead-letters messages sent to a real queue", async () => {
    await env.Q_DB.exec("CREATE TABLE IF NOT EXISTS broker_notes (key TEXT, text TEXT, author TEXT)");
    const ok = { type: "note.added", v: 1, id: uid("n"), source: "broker-test", data: { text: "hello" } };
    const failing = {
      type: "note.added",
      v: 2,
      id: uid("n"),
      source: "broker-test",
      data: { text: "fail", author: "x" },
    };
    await env.Q_IN.sendBatch([{ body: ok }, { body: ok }, { body: failing }], {});
    const row = await waitFor(() =>
      env.Q_DB.prepare("SELECT key, text, author FROM broker_notes WHERE key = ?").bind(`broker-test#${ok.id}`).first(),
    );
    expect(row).toEqual({ key: `broker-test#${ok.id}`, text: "hello", author: "unknown" });
    // The failing note is retried by the broker (attempts 1..3), then dead-lettered with its original body.
    const letter = await waitFor(async () => {
      const { keys } = await env.Q_KV.list({ prefix: "dlq:" });
      for (const k of keys) {
        const body = await env.Q_KV.get<DeadLetter>(k.name, "json");
        if ((body?.original as { id?: string } | undefined)?.id === failing.id) return body;
      }
      return null;
    }, 20_000);
    expect(letter).toMatchObject({ original: failing, attempts: 3, error: { reason: "handler_error" } });
    const count = await env.Q_DB.prepare("SELECT count(*) AS n FROM broker_notes WHERE key = ?")
      .bind(`broker-test#${ok.id}`)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
  });
});
