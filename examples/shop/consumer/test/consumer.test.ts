import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../src/index.js";

function event(id: string, orderId: string) {
  return {
    type: "order.created",
    v: 1,
    id,
    source: "shop-api",
    time: new Date().toISOString(),
    data: { orderId, userId: "u1", totalCents: 100 },
  };
}

describe("shop-consumer", () => {
  it("confirms the order once, even when the event is delivered twice", async () => {
    await env.DB.prepare("INSERT INTO orders (id, user_id, total_cents) VALUES ('o1', 'u1', 100)").run();
    const batch = createMessageBatch("order-events", [
      { id: "m1", timestamp: new Date(), attempts: 1, body: event("e1", "o1") },
      { id: "m2", timestamp: new Date(), attempts: 1, body: event("e1", "o1") },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["m1", "m2"]);
    expect(result.retryMessages).toEqual([]);
    const events = await env.DB.prepare("SELECT count(*) AS n FROM order_events WHERE event_id = 'e1'").first<{
      n: number;
    }>();
    expect(events?.n).toBe(1);
    const order = await env.DB.prepare("SELECT status FROM orders WHERE id = 'o1'").first<{ status: string }>();
    expect(order?.status).toBe("confirmed");
  });

  it("dead-letters a malformed message instead of retrying it forever", async () => {
    const batch = createMessageBatch("order-events", [
      { id: "bad", timestamp: new Date(), attempts: 1, body: { nope: true } },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(["bad"]);
  });
});
