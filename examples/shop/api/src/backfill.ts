import { type Backfill, backfillProgress, type RunBackfillOptions, runBackfill, sql } from "blastwall/d1";
import { Hono } from "hono";
import type { Env } from "./env.js";

/**
 * Step 3 of the item_count expand/contract (migration 0004): fill the column for orders placed before the code
 * wrote it. Batches by order id; each batch's UPDATE and the cursor commit together, so a killed run resumes
 * where it stopped and no order is written twice. `item_count IS NULL` keeps orders written by the new code as
 * they are.
 */
export const orderItemCountBackfill: Backfill = {
  name: "orders.item_count",
  table: "orders",
  key: "id",
  update: ({ range }) => sql`UPDATE orders SET item_count = (
      SELECT coalesce(sum(quantity), 0) FROM order_items WHERE order_items.order_id = orders.id
    ) WHERE ${range} AND item_count IS NULL`,
};

/** One time-boxed slice of the backfill, for a cron trigger, a queue message or the admin route below. */
export function runOrderItemCountBackfill(env: Pick<Env, "DB">, options: RunBackfillOptions = {}) {
  return runBackfill(env.DB, orderItemCountBackfill, { rowsPerSecond: 2000, timeBudgetMs: 20_000, ...options });
}

/**
 * A cron trigger handler: each tick runs one slice (within the invocation's time), and once the backfill is done
 * every later tick returns at once. Wire it as `scheduled` next to `fetch` with a `triggers.crons` entry.
 */
export const scheduledBackfill = async (
  _controller: ScheduledController,
  env: Pick<Env, "DB">,
  ctx: ExecutionContext,
): Promise<void> => {
  ctx.waitUntil(runOrderItemCountBackfill(env, { timeBudgetMs: 25_000 }));
};

/** The admin token is optional config: without it the routes answer 404, so the admin surface is off by default. */
type AdminEnv = Env & { ADMIN_TOKEN?: string };

export const backfills = new Hono<{ Bindings: AdminEnv }>();

backfills.use("*", async (c, next) => {
  const token = c.env.ADMIN_TOKEN;
  if (!token) return c.json({ error: "not found" }, 404);
  if (c.req.header("authorization") !== `Bearer ${token}`) return c.json({ error: "unauthorized" }, 401);
  await next();
});

backfills.get("/orders-item-count", async (c) => {
  const progress = await backfillProgress(c.env.DB, orderItemCountBackfill.name);
  return c.json({ progress });
});

// Each call runs one slice and says whether to call again; re-running a finished backfill does nothing.
backfills.post("/orders-item-count", async (c) => {
  const report = await runOrderItemCountBackfill(c.env);
  const done = report.stoppedBy === "done" || report.stoppedBy === "already-done";
  return c.json({ done, report }, done ? 200 : 202);
});
