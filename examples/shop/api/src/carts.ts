import { retryDurable } from "blastwall/durable";
import { Hono } from "hono";
import type { Env } from "./env.js";

export const carts = new Hono<{ Bindings: Env }>();

const USER = /^[\w-]{1,64}$/;

// Not sharded on purpose: a cart already is one object per user (idFromName(`cart:<user>`)), so load spreads
// with the users and no object is a singleton. shardedStub is for shared state that would otherwise sit in one
// object (a global counter, a rate limiter); splitting one user's cart over shards would only break its atomicity.
const cart = (env: Env, user: string) => env.CARTS.get(env.CARTS.idFromName(`cart:${user}`));

carts.get("/:user", async (c) => {
  const user = c.req.param("user");
  if (!USER.test(user)) return c.json({ error: "bad user id" }, 400);
  // Reading is idempotent, so a retryable failure that reached the object is retried (overloads never are).
  const lines = await retryDurable(
    () => cart(c.env, user),
    (stub) => stub.lines(),
  );
  return c.json({ lines });
});

carts.post("/:user", async (c) => {
  const user = c.req.param("user");
  if (!USER.test(user)) return c.json({ error: "bad user id" }, 400);
  const body = (await c.req.json().catch(() => null)) as {
    sku?: unknown;
    quantity?: unknown;
    priceCents?: unknown;
  } | null;
  if (!body || typeof body.sku !== "string" || !Number.isInteger(body.quantity) || !Number.isInteger(body.priceCents)) {
    return c.json({ error: "expected { sku, quantity, priceCents }" }, 400);
  }
  // Adding is not idempotent (a retry could add the line twice), so it is not wrapped in retryDurable.
  const lines = await cart(c.env, user).add({
    sku: body.sku,
    quantity: body.quantity as number,
    priceCents: body.priceCents as number,
  });
  return c.json({ lines });
});
