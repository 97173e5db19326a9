import { Hono } from "hono";
import type { Env } from "./env.js";

export const carts = new Hono<{ Bindings: Env }>();

const USER = /^[\w-]{1,64}$/;

carts.get("/:user", async (c) => {
  const user = c.req.param("user");
  if (!USER.test(user)) return c.json({ error: "bad user id" }, 400);
  const stub = c.env.CARTS.get(c.env.CARTS.idFromName(`cart:${user}`));
  return c.json({ lines: await stub.lines() });
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
  const stub = c.env.CARTS.get(c.env.CARTS.idFromName(`cart:${user}`));
  const lines = await stub.add({
    sku: body.sku,
    quantity: body.quantity as number,
    priceCents: body.priceCents as number,
  });
  return c.json({ lines });
});
