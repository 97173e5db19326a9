import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import type { DeadLetter } from "blastwall/queues";
import { describe, expect, it } from "vitest";
import worker, { processOrderEvents } from "../src/index.js";

let seq = 0;
const uid = (p: string) => `${p}-${++seq}-${crypto.randomUUID().slice(0, 6)}`;

function v1(id: string, orderId: string) {
  return {
    type: "order.created",
    v: 1,
    id,
    source: "shop-api",
    time: new Date().toISOString(),
    data: { orderId, userId: "u1", totalCents: 100 },
  };
}

function v2(id: string, orderId: string) {
  return { ...v1(id, orderId), v: 2, data: { orderId, userId: "u1", total: { cents: 100, currency: "EUR" } } };
}

const deliver = (bodies: unknown[], attempts = 1) =>
  createMessageBatch(
    "order-events",
    bodies.map((body) => ({ id: uid("m"), timestamp: new Date(), attempts, body })),
  );

/** A dead-letter producer that records what it is sent, so the test can read the letters back. */
function recordingQueue(): Queue & { letters: DeadLetter[] } {
  const letters: DeadLetter[] = [];
  return {
    letters,
    send: async (body: unknown) => {
      letters.push(body as DeadLetter);
    },
    sendBatch: async (messages: Iterable<MessageSendRequest>) => {
      for (const m of messages) letters.push(m.body as DeadLetter);
    },
  } as unknown as Queue & { letters: DeadLetter[] };
}

async function placeOrder(): Promise<string> {
  const id = uid("o");
  await env.DB.prepare("INSERT INTO orders (id, user_id, total_cents) VALUES (?, 'u1', 100)").bind(id).run();
  return id;
}

const status = async (orderId: string) =>
  (await env.DB.prepare("SELECT status FROM orders WHERE id = ?").bind(orderId).first<{ status: string }>())?.status;
const eventRows = async (eventId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM order_events WHERE event_id = ?")
      .bind(eventId)
      .first<{ n: number }>()
  )?.n;

describe("shop-consumer", () => {
  it("confirms the order once, even when the event is delivered twice in a batch and again later", async () => {
    const orderId = await placeOrder();
    const eventId = uid("e");
    const batch = deliver([v1(eventId, orderId), v1(eventId, orderId)]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(batch.messages.map((m) => m.id).sort());
    expect(result.retryMessages).toEqual([]);
    expect(await eventRows(eventId)).toBe(1);
    expect(await status(orderId)).toBe("confirmed");

    const again = await processOrderEvents(deliver([v1(eventId, orderId)], 2), env);
    expect(again).toMatchObject({ processed: 0, duplicates: 1 });
    expect(await eventRows(eventId)).toBe(1);
  });

  it("handles v1 and v2 producers side by side", async () => {
    const [a, b] = [await placeOrder(), await placeOrder()];
    const result = await processOrderEvents(deliver([v1(uid("e"), a), v2(uid("e"), b)]), env);
    expect(result).toMatchObject({ processed: 2, retried: 0, deadLettered: 0 });
    expect([await status(a), await status(b)]).toEqual(["confirmed", "confirmed"]);
  });

  it("retries a v3 event from a newer producer, then dead-letters it on the last attempt", async () => {
    const dlq = recordingQueue();
    const v3 = { ...v2(uid("e"), await placeOrder()), v: 3 };
    const early = await processOrderEvents(deliver([v3], 1), env, { deadLetter: dlq });
    expect(early).toMatchObject({ retried: 1, deadLettered: 0 });
    expect(dlq.letters).toHaveLength(0);
    const last = await processOrderEvents(deliver([v3], 6), env, { deadLetter: dlq });
    expect(last).toMatchObject({ processed: 0, deadLettered: 1 });
    expect(dlq.letters[0]).toMatchObject({ original: v3, error: { reason: "newer_version" } });
  });

  it("dead-letters a malformed message at once with its original body and the validation issues", async () => {
    const dlq = recordingQueue();
    const bad = { ...v1(uid("e"), "o-x"), data: { orderId: "o-x", userId: "u1", totalCents: -5 } };
    const batch = deliver([{ nope: true }, bad]);
    const ctx = createExecutionContext();
    const result = await processOrderEvents(batch, env, { deadLetter: dlq });
    expect(result).toMatchObject({ processed: 0, deadLettered: 2 });
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(2);
    expect(dlq.letters.map((l) => l.original)).toEqual([{ nope: true }, bad]);
    expect(dlq.letters[1]?.error.issues?.[0]?.path).toBe("data.totalCents");
  });
});
