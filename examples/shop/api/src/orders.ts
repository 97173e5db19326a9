import { sql } from "blastwall/d1";
import { assertCanSend } from "blastwall/ops";
import { Hono } from "hono";
import type { Env, OrderEvent } from "./env.js";

interface OrderInput {
  userId: string;
  items: { sku: string; quantity: number; priceCents: number }[];
}

function parseOrder(body: unknown): OrderInput | string {
  if (typeof body !== "object" || body === null) return "body must be a JSON object";
  const { userId, items } = body as Record<string, unknown>;
  if (typeof userId !== "string" || !/^[\w-]{1,64}$/.test(userId)) return "userId must be 1-64 word characters";
  if (!Array.isArray(items) || items.length === 0 || items.length > 50) return "items must hold 1-50 lines";
  const lines: OrderInput["items"] = [];
  for (const it of items) {
    const { sku, quantity, priceCents } = (it ?? {}) as Record<string, unknown>;
    if (typeof sku !== "string" || !/^[\w-]{1,64}$/.test(sku)) return "each item needs a sku";
    if (!Number.isInteger(quantity) || (quantity as number) <= 0) return "quantity must be a positive integer";
    if (!Number.isInteger(priceCents) || (priceCents as number) < 0) return "priceCents must be a non-negative integer";
    lines.push({ sku, quantity: quantity as number, priceCents: priceCents as number });
  }
  return { userId, items: lines };
}

export const orders = new Hono<{ Bindings: Env }>();

orders.get("/", async (c) => {
  const userId = c.req.query("user");
  const where = userId ? sql`WHERE user_id = ${userId}` : sql``;
  const { results } = await sql`SELECT * FROM orders ${where} ORDER BY created_at DESC LIMIT ${50}`
    .prepare(c.env.DB)
    .all();
  return c.json({ orders: results });
});

// Order counts by status: how operators see that the consumer keeps up (pending should drain to 0).
orders.get("/stats", async (c) => {
  const { results } = await sql`SELECT status, count(*) AS n FROM orders GROUP BY status`
    .prepare(c.env.DB)
    .all<{ status: string; n: number }>();
  const byStatus = Object.fromEntries(results.map((r) => [r.status, r.n]));
  return c.json({ total: results.reduce((s, r) => s + r.n, 0), byStatus });
});

orders.get("/:id", async (c) => {
  const id = c.req.param("id");
  const [order, items] = await c.env.DB.batch([
    sql`SELECT * FROM orders WHERE id = ${id}`.prepare(c.env.DB),
    sql`SELECT sku, quantity, price_cents FROM order_items WHERE order_id = ${id}`.prepare(c.env.DB),
  ]);
  const row = order?.results[0];
  if (!row) return c.json({ error: "order not found" }, 404);
  return c.json({ order: row, items: items?.results ?? [] });
});

orders.post("/", async (c) => {
  const input = parseOrder(await c.req.json().catch(() => null));
  if (typeof input === "string") return c.json({ error: input }, 400);
  const id = crypto.randomUUID();
  const total = input.items.reduce((s, i) => s + i.quantity * i.priceCents, 0);
  const itemCount = input.items.reduce((s, i) => s + i.quantity, 0);
  // Decide about the order event before writing: a refused enqueue answers 503 with nothing written.
  await assertCanSend(c.env.ORDER_EVENTS);
  // One batch is one transaction on D1: the order and its lines land together or not at all.
  // item_count (migration 0004) is written for new orders; older rows get it from the backfill.
  await c.env.DB.batch([
    sql`INSERT INTO orders (id, user_id, total_cents, item_count) VALUES (${id}, ${input.userId}, ${total}, ${itemCount})`.prepare(
      c.env.DB,
    ),
    ...input.items.map((i) =>
      sql`INSERT INTO order_items (order_id, sku, quantity, price_cents) VALUES (${id}, ${i.sku}, ${i.quantity}, ${i.priceCents})`.prepare(
        c.env.DB,
      ),
    ),
  ]);
  const event: OrderEvent = {
    type: "order.created",
    v: 1,
    id: crypto.randomUUID(),
    source: "shop-api",
    time: new Date().toISOString(),
    data: { orderId: id, userId: input.userId, totalCents: total },
  };
  await c.env.ORDER_EVENTS.send(event, { contentType: "json" });
  return c.json({ id, totalCents: total }, 201);
});
