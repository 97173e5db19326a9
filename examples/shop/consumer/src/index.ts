import {
  type ConsumeOptions,
  type ConsumeResult,
  consume,
  d1Idempotency,
  defineMessage,
  type MessageData,
} from "blastwall/queues";
import { z } from "zod";

export interface Env {
  DB: D1Database;
  CONFIG: KVNamespace;
  ORDER_EVENTS_DLQ: Queue;
}

/**
 * order.created, as shop-api sends it. v1 carries a bare `totalCents`; v2 names the currency. During the rollout
 * both arrive; v1 is upcast, so the handler only ever sees v2.
 */
export const orderCreated = defineMessage("order.created", {
  versions: {
    1: z.object({ orderId: z.string().min(1), userId: z.string().min(1), totalCents: z.number().int().nonnegative() }),
    2: z.object({
      orderId: z.string().min(1),
      userId: z.string().min(1),
      total: z.object({ cents: z.number().int().nonnegative(), currency: z.string().length(3) }),
    }),
  },
  upcast: { 1: ({ totalCents, ...rest }) => ({ ...rest, total: { cents: totalCents, currency: "USD" } }) },
});

export type OrderCreated = MessageData<typeof orderCreated>;

/** The side effects of one order event: D1 statements, committed in the same transaction as its COMPLETED record. */
export function confirmOrder(db: D1Database, order: OrderCreated, eventId: string): D1PreparedStatement[] {
  return [
    // OR IGNORE: with the D1 store this runs once anyway; it keeps a repeat harmless if the store is ever swapped.
    db
      .prepare("INSERT OR IGNORE INTO order_events (event_id, order_id, kind) VALUES (?, ?, ?)")
      .bind(eventId, order.orderId, "order.created"),
    db.prepare("UPDATE orders SET status = 'confirmed' WHERE id = ? AND status = 'pending'").bind(order.orderId),
  ];
}

/** Options this consumer runs with; the reliability run swaps the store and the database to inject faults. */
export type OrderConsumerOverrides = Partial<ConsumeOptions<OrderCreated>> & { db?: D1Database };

export function processOrderEvents(
  batch: MessageBatch<unknown>,
  env: Env,
  { db = env.DB, ...overrides }: OrderConsumerOverrides = {},
): Promise<ConsumeResult> {
  return consume(batch, (order, { envelope, key }) => confirmOrder(db, order, envelope?.id ?? key), {
    idempotency: d1Idempotency(db),
    message: orderCreated,
    // confirmOrder only returns statements, so it may run before the claim: one D1 round trip per batch.
    speculative: true,
    // wrangler.jsonc: max_retries 5, so the 6th delivery is the last.
    maxAttempts: 6,
    backoff: { baseSeconds: 5, capSeconds: 300 },
    deadLetter: env.ORDER_EVENTS_DLQ,
    ...overrides,
  });
}

export default {
  async queue(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
    const result = await processOrderEvents(batch, env);
    console.log(
      `order-events: ${result.processed} processed, ${result.duplicates} duplicates, ${result.retried} retried, ${result.deadLettered} dead-lettered`,
    );
  },
} satisfies ExportedHandler<Env>;
