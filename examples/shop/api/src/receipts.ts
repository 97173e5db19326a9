import { putImmutable, safeKey, serveObject } from "blastwall/r2";
import { Hono } from "hono";
import type { Env } from "./env.js";

export const receipts = new Hono<{ Bindings: Env }>();

const ORDER_ID = /^[0-9a-f-]{36}$/;

function receiptKey(orderId: string): string {
  // The id pattern already excludes traversal; safeKey keeps that true if the pattern is ever loosened.
  return safeKey(`${orderId}.pdf`, { prefix: "receipts" });
}

// Receipts are immutable: each order gets one key, written once, never overwritten.
receipts.put("/:orderId", async (c) => {
  const orderId = c.req.param("orderId");
  if (!ORDER_ID.test(orderId)) return c.json({ error: "bad order id" }, 400);
  const result = await putImmutable(c.env.RECEIPTS, receiptKey(orderId), await c.req.arrayBuffer(), {
    httpMetadata: { contentType: c.req.header("content-type") ?? "application/pdf" },
  });
  if (result.status === "exists") return c.json({ error: "receipt already exists" }, 409);
  return c.json({ key: result.key, etag: result.object.httpEtag }, 201);
});

// GET and HEAD with conditional requests (304/412) and ranges (206), so clients and caches revalidate cheaply.
receipts.on(["GET", "HEAD"], "/:orderId", async (c) => {
  const orderId = c.req.param("orderId");
  if (!ORDER_ID.test(orderId)) return c.json({ error: "bad order id" }, 400);
  const res = await serveObject(c.req.raw, c.env.RECEIPTS, receiptKey(orderId), {
    // Immutable keys can be cached for good; a new receipt would get a new key.
    cacheControl: "private, max-age=31536000, immutable",
  });
  return res.status === 404 ? c.json({ error: "receipt not found" }, 404) : res;
});
