import { blastwallErrors, killSwitch, opsAdmin } from "blastwall/hono";
import { BlastwallOpsFlags, createFlagReader, defineFlags, durableObjectStore, guardProducer } from "blastwall/ops";
import { Hono } from "hono";
import { backfills } from "./backfill.js";
import { carts } from "./carts.js";
import type { Env } from "./env.js";
import { orders } from "./orders.js";
import { receipts } from "./receipts.js";

export { Cart } from "./cart.js";
// One flags object per deployment ("global"), on purpose: it is the strongly consistent source of truth for the
// kill switch. It is not a hot singleton: each isolate memoises its answer for maxStalenessMs (1 s), so the object
// sees about one read per isolate per second whatever the traffic, and writes come only from operators.
export { BlastwallOpsFlags };

// Ops flags of the shop. All fail open: a flag store outage must not stop sales on its own. (Not exported: the
// main module's exports are entrypoints to workerd.)
const OPS = defineFlags({
  disable_writes: { failMode: "open", description: "503 every write; reads and /healthz keep working" },
  disable_enqueue: { failMode: "open", description: "refuse to enqueue order events" },
});

const opsStore = (env: Env) => durableObjectStore(env.OPS_FLAGS);
const opsFlags = (env: Env) => createFlagReader({ flags: OPS, store: opsStore(env) });

const app = new Hono<{ Bindings: Env }>();

app.use(killSwitch<Env>({ reader: opsFlags, health: ["/healthz"] }));
// Each change is mirrored to CONFIG as ops:<name> so shop-consumer, which cannot bind the object, sees it too.
app.all("/__blastwall/ops/*", opsAdmin<Env>({ store: opsStore, flags: OPS, mirror: (env) => env.CONFIG }));

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

// blastwall's errors get their status (a bad receipt key 400, a refused enqueue 503); anything else is a 500.
app.onError(
  blastwallErrors({
    fallback: (err, c) => {
      console.error("shop-api error", err);
      return c.json({ error: "internal error" }, 500);
    },
  }),
);

export default {
  // Every route sees the order-events producer guarded by disable_enqueue.
  fetch: (request, env, ctx) =>
    app.fetch(
      request,
      { ...env, ORDER_EVENTS: guardProducer(env.ORDER_EVENTS, { reader: opsFlags(env), queue: "order-events" }) },
      ctx,
    ),
} satisfies ExportedHandler<Env>;
