import { Hono } from "hono";
import { backfills } from "./backfill.js";
import { carts } from "./carts.js";
import type { Env } from "./env.js";
import { orders } from "./orders.js";
import { receipts } from "./receipts.js";

export { Cart } from "./cart.js";

const app = new Hono<{ Bindings: Env }>();

app.get("/healthz", (c) => c.json({ ok: true, version: c.env.CF_VERSION_METADATA?.id ?? "local" }));

app.get("/config/:key", async (c) => {
  const key = c.req.param("key");
  if (!/^[\w.-]{1,128}$/.test(key)) return c.json({ error: "bad key" }, 400);
  const value = await c.env.CONFIG.get(`config:${key}`);
  return value === null ? c.json({ error: "not set" }, 404) : c.json({ key, value });
});

app.route("/orders", orders);
app.route("/carts", carts);
app.route("/receipts", receipts);
app.route("/admin/backfills", backfills);

app.onError((err, c) => {
  console.error("shop-api error", err);
  return c.json({ error: "internal error" }, 500);
});

export default app satisfies ExportedHandler<Env>;
