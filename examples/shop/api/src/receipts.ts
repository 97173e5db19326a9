import { Hono } from "hono";
import type { Env } from "./env.js";

export const receipts = new Hono<{ Bindings: Env }>();

const ORDER_ID = /^[0-9a-f-]{36}$/;

// Receipts are immutable: each order gets one key, written once, never overwritten.
receipts.put("/:orderId", async (c) => {
  const orderId = c.req.param("orderId");
  if (!ORDER_ID.test(orderId)) return c.json({ error: "bad order id" }, 400);
  const key = `receipts/${orderId}.pdf`;
  const body = await c.req.arrayBuffer();
  const put = await c.env.RECEIPTS.put(key, body, {
    onlyIf: { etagDoesNotMatch: "*" },
    httpMetadata: { contentType: c.req.header("content-type") ?? "application/pdf" },
  });
  if (put === null) return c.json({ error: "receipt already exists" }, 409);
  return c.json({ key, etag: put.httpEtag }, 201);
});

receipts.get("/:orderId", async (c) => {
  const orderId = c.req.param("orderId");
  if (!ORDER_ID.test(orderId)) return c.json({ error: "bad order id" }, 400);
  const obj = await c.env.RECEIPTS.get(`receipts/${orderId}.pdf`);
  if (!obj) return c.json({ error: "receipt not found" }, 404);
  const headers = new Headers();
  obj.writeHttpMetadata(headers);
  headers.set("etag", obj.httpEtag);
  return new Response(obj.body, { headers });
});
