export interface Env {
  DB: D1Database;
  CONFIG: KVNamespace;
  ORDER_EVENTS_DLQ: Queue;
}

interface OrderCreated {
  type: "order.created";
  v: number;
  id: string;
  source: string;
  data: { orderId: string; userId: string; totalCents: number };
}

function isOrderCreated(body: unknown): body is OrderCreated {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  const data = b.data as Record<string, unknown> | undefined;
  return b.type === "order.created" && typeof b.id === "string" && typeof data?.orderId === "string";
}

export default {
  async queue(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
    for (const msg of batch.messages) {
      const body = msg.body;
      if (!isOrderCreated(body)) {
        // Malformed payloads never succeed on retry: hand them to the DLQ with the reason.
        await env.ORDER_EVENTS_DLQ.send({ original: body, error: "not an order.created event", messageId: msg.id });
        msg.ack();
        continue;
      }
      try {
        // The event row and the status change commit together; the primary key makes a duplicate a no-op.
        await env.DB.batch([
          env.DB.prepare("INSERT OR IGNORE INTO order_events (event_id, order_id, kind) VALUES (?, ?, ?)").bind(
            body.id,
            body.data.orderId,
            body.type,
          ),
          env.DB.prepare("UPDATE orders SET status = 'confirmed' WHERE id = ? AND status = 'pending'").bind(
            body.data.orderId,
          ),
        ]);
        msg.ack();
      } catch (err) {
        console.error("order event failed", msg.id, err);
        msg.retry({ delaySeconds: Math.min(60, 2 ** msg.attempts) });
      }
    }
  },
} satisfies ExportedHandler<Env>;
