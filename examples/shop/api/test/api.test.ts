import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("shop-api", () => {
  it("answers health checks", async () => {
    const res = await SELF.fetch("http://shop/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });

  it("creates an order in D1 with its lines and enqueues an event", async () => {
    const res = await SELF.fetch("http://shop/orders", {
      method: "POST",
      body: JSON.stringify({ userId: "u1", items: [{ sku: "tea", quantity: 2, priceCents: 450 }] }),
    });
    expect(res.status).toBe(201);
    const { id, totalCents } = (await res.json()) as { id: string; totalCents: number };
    expect(totalCents).toBe(900);
    const row = await env.DB.prepare("SELECT user_id, total_cents FROM orders WHERE id = ?").bind(id).first();
    expect(row).toEqual({ user_id: "u1", total_cents: 900 });
    const got = await SELF.fetch(`http://shop/orders/${id}`);
    expect(((await got.json()) as { items: unknown[] }).items).toHaveLength(1);
  });

  it("counts orders by status", async () => {
    const before = (await (await SELF.fetch("http://shop/orders/stats")).json()) as { total: number };
    await SELF.fetch("http://shop/orders", {
      method: "POST",
      body: JSON.stringify({ userId: "u9", items: [{ sku: "tea", quantity: 1, priceCents: 1 }] }),
    });
    const after = (await (await SELF.fetch("http://shop/orders/stats")).json()) as {
      total: number;
      byStatus: Record<string, number>;
    };
    expect(after.total).toBe(before.total + 1);
    expect(after.byStatus.pending).toBeGreaterThanOrEqual(1);
  });

  it("rejects a malformed order with 400 and writes nothing", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM orders").first<{ n: number }>();
    const res = await SELF.fetch("http://shop/orders", {
      method: "POST",
      body: JSON.stringify({ userId: "u1", items: [] }),
    });
    expect(res.status).toBe(400);
    const after = await env.DB.prepare("SELECT count(*) AS n FROM orders").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it("keeps a cart per user in a Durable Object", async () => {
    await SELF.fetch("http://shop/carts/ann", {
      method: "POST",
      body: JSON.stringify({ sku: "mug", quantity: 1, priceCents: 900 }),
    });
    await SELF.fetch("http://shop/carts/ann", {
      method: "POST",
      body: JSON.stringify({ sku: "mug", quantity: 2, priceCents: 900 }),
    });
    const ann = (await (await SELF.fetch("http://shop/carts/ann")).json()) as { lines: { quantity: number }[] };
    const bob = (await (await SELF.fetch("http://shop/carts/bob")).json()) as { lines: unknown[] };
    expect(ann.lines[0]?.quantity).toBe(3);
    expect(bob.lines).toEqual([]);
  });

  it("writes receipts to R2 once and serves them with the quoted etag", async () => {
    const id = crypto.randomUUID();
    const put = await SELF.fetch(`http://shop/receipts/${id}`, { method: "PUT", body: "receipt-1" });
    expect(put.status).toBe(201);
    const again = await SELF.fetch(`http://shop/receipts/${id}`, { method: "PUT", body: "receipt-2" });
    expect(again.status).toBe(409);
    const got = await SELF.fetch(`http://shop/receipts/${id}`);
    expect(await got.text()).toBe("receipt-1");
    expect(got.headers.get("etag")).toMatch(/^"[0-9a-f]+"$/);
  });

  it("reads config from KV", async () => {
    await env.CONFIG.put("config:banner", "sale");
    const res = await SELF.fetch("http://shop/config/banner");
    expect(await res.json()).toEqual({ key: "banner", value: "sale" });
    expect((await SELF.fetch("http://shop/config/missing")).status).toBe(404);
  });
});
