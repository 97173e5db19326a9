import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { createFlagReader } from "./flags.js";
import { createFlagMemo } from "./memo.js";
import { assertCanSend, canSend, EnqueueRefusedError, guardConsumer, guardProducer } from "./queues.js";
import { durableObjectStore, envStore, kvStore } from "./stores.js";
import { OPS, type OpsTestEnv } from "./test-worker.js";

/** A producer that records what it was asked to send, wrapped around the real binding. */
function recording(queue: Queue<unknown>) {
  const sent: unknown[] = [];
  const producer: Queue<unknown> = {
    send: async (body, options) => {
      sent.push(body);
      return queue.send(body, options);
    },
    sendBatch: async (messages, options) => {
      const list = [...messages];
      sent.push(...list.map((m) => m.body));
      return queue.sendBatch(list, options);
    },
    metrics: () => queue.metrics(),
  };
  return { producer, sent };
}

describe("guarded queue producer", () => {
  it("sends while disable_enqueue is off", async () => {
    const { producer, sent } = recording(env.OPS_QUEUE);
    const reader = createFlagReader({ flags: OPS, store: envStore({ OPS_DISABLE_ENQUEUE: "0" }) });
    const q = guardProducer(producer, { reader, queue: "ops-queue" });
    await q.send({ n: 1 });
    await q.sendBatch([{ body: { n: 2 } }, { body: { n: 3 } }]);
    expect(sent).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
  });

  it("refuses send and sendBatch with a clear error while it is on, and sends nothing", async () => {
    const { producer, sent } = recording(env.OPS_QUEUE);
    const store = durableObjectStore(env.OPS_DO, { name: "producer-test", memo: createFlagMemo() });
    await store.set({ name: "disable_enqueue", value: "1", actor: "alice" });
    const q = guardProducer(producer, { reader: createFlagReader({ flags: OPS, store }), queue: "order-events" });
    const err = await q.send({ n: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnqueueRefusedError);
    expect((err as Error).message).toMatch(
      /enqueue refused: an operator turned on ops flag "disable_enqueue"; 1 message\(s\) were NOT sent to queue "order-events"/,
    );
    await expect(q.sendBatch([{ body: 1 }, { body: 2 }])).rejects.toThrow(/2 message\(s\) were NOT sent/);
    expect(sent).toEqual([]);
  });

  it("refuses when the store is down and disable_enqueue fails closed", async () => {
    const { producer, sent } = recording(env.OPS_QUEUE);
    const reader = createFlagReader({
      flags: OPS,
      store: durableObjectStore(env.OPS_DO_DOWN, { memo: createFlagMemo() }),
    });
    await expect(guardProducer(producer, { reader }).send("x")).rejects.toThrow(
      /store is unreachable and "disable_enqueue" fails closed/,
    );
    expect(sent).toEqual([]);
  });

  it("refuses to wrap with an undeclared flag", () => {
    const reader = createFlagReader({ flags: OPS, store: envStore({}) });
    expect(() => guardProducer(env.OPS_QUEUE, { reader, flag: "stop_queue" })).toThrow(/"stop_queue" is not declared/);
  });
});

describe("canSend: the check before the write", () => {
  it("decides once: a flag flipped on after the check does not orphan the write that followed it", async () => {
    const { producer, sent } = recording(env.OPS_QUEUE);
    const store = durableObjectStore(env.OPS_DO, { name: "can-send-flip", memo: createFlagMemo(), maxStalenessMs: 0 });
    const q = guardProducer(producer, { reader: createFlagReader({ flags: OPS, store }), queue: "order-events" });
    expect(await canSend(q)).toBe(true);
    // The handler writes its row here; an operator turns the flag on before the send.
    await store.set({ name: "disable_enqueue", value: "1", actor: "alice" });
    await q.send({ n: 1 });
    expect(sent).toEqual([{ n: 1 }]);
    // A producer made for the next request sees the flag.
    const next = guardProducer(producer, { reader: createFlagReader({ flags: OPS, store }), queue: "order-events" });
    expect(await next.canSend()).toBe(false);
    await expect(next.send({ n: 2 })).rejects.toBeInstanceOf(EnqueueRefusedError);
    expect(sent).toEqual([{ n: 1 }]);
  });

  it("assertCanSend throws EnqueueRefusedError before any write while the flag is on", async () => {
    const { producer, sent } = recording(env.OPS_QUEUE);
    const reader = createFlagReader({ flags: OPS, store: envStore({ OPS_DISABLE_ENQUEUE: "1" }) });
    const q = guardProducer(producer, { reader, queue: "order-events" });
    const err = await assertCanSend(q).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnqueueRefusedError);
    expect((err as EnqueueRefusedError).count).toBeUndefined();
    expect((err as Error).message).toMatch(/sending to queue "order-events" is off \(checked before any write\)/);
    await expect(q.send({ n: 1 })).rejects.toBeInstanceOf(EnqueueRefusedError);
    expect(sent).toEqual([]);
  });

  it("refuses a queue that guardProducer did not wrap, instead of letting it through unguarded", async () => {
    await expect(canSend(env.OPS_QUEUE)).rejects.toThrow(/not wrapped by guardProducer/);
    await expect(assertCanSend(env.OPS_QUEUE)).rejects.toThrow(/not wrapped by guardProducer/);
  });
});

describe("consumer guard", () => {
  const messages = [
    { id: "m1", timestamp: new Date(), attempts: 1, body: { n: 1 } },
    { id: "m2", timestamp: new Date(), attempts: 1, body: { n: 2 } },
  ];

  it("retries the whole batch with a delay while pause_consumer:<queue> is on, never acking", async () => {
    await env.OPS_KV.put("ops:pause_consumer:order-events", "1");
    const handler = vi.fn(async (batch: MessageBatch<unknown>) => batch.ackAll());
    const queue = guardConsumer<unknown, OpsTestEnv>(handler, {
      reader: (e) => createFlagReader({ flags: OPS, store: kvStore(e.OPS_KV, { memo: createFlagMemo() }) }),
      delaySeconds: 120,
    });
    const batch = createMessageBatch("order-events", messages);
    // The harness's result does not carry the delay, so watch the call itself too.
    const retryAll = vi.spyOn(batch, "retryAll");
    const ctx = createExecutionContext();
    await queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(handler).not.toHaveBeenCalled();
    expect(retryAll).toHaveBeenCalledWith({ delaySeconds: 120 });
    expect(result.ackAll).toBe(false);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toEqual([]);
    expect(result.retryBatch.retry).toBe(true);
  });

  it("runs the handler for other queues and when the flag is off", async () => {
    await env.OPS_KV.put("ops:pause_consumer:order-events", "1");
    const handler = vi.fn(async (batch: MessageBatch<unknown>) => batch.ackAll());
    const queue = guardConsumer<unknown, OpsTestEnv>(handler, {
      reader: (e) => createFlagReader({ flags: OPS, store: kvStore(e.OPS_KV, { memo: createFlagMemo() }) }),
    });
    const batch = createMessageBatch("emails", messages);
    const ctx = createExecutionContext();
    await queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(result.ackAll).toBe(true);
    expect(result.retryBatch.retry).toBe(false);
  });

  it("validates the delay", () => {
    const reader = () => createFlagReader({ flags: OPS, store: envStore({}) });
    expect(() => guardConsumer(async () => {}, { reader, delaySeconds: 43_201 })).toThrow(/0 to 43200/);
    expect(() => guardConsumer(async () => {}, { reader, delaySeconds: 1.5 })).toThrow(/whole number/);
  });
});
