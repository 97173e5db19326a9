import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("receipts on blastwall/r2", () => {
  it("writes once, then serves conditional and range requests with the quoted etag", async () => {
    const id = crypto.randomUUID();
    const put = await SELF.fetch(`http://shop/receipts/${id}`, {
      method: "PUT",
      body: "receipt-body",
      headers: { "content-type": "application/pdf" },
    });
    expect(put.status).toBe(201);
    const { etag } = (await put.json()) as { etag: string };
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await SELF.fetch(`http://shop/receipts/${id}`, { method: "PUT", body: "other" })).status).toBe(409);

    const full = await SELF.fetch(`http://shop/receipts/${id}`);
    expect(full.status).toBe(200);
    expect(full.headers.get("etag")).toBe(etag);
    expect(full.headers.get("content-type")).toBe("application/pdf");
    expect(full.headers.get("cache-control")).toContain("immutable");
    expect(await full.text()).toBe("receipt-body");

    const revalidate = await SELF.fetch(`http://shop/receipts/${id}`, { headers: { "if-none-match": etag } });
    expect(revalidate.status).toBe(304);
    expect(revalidate.headers.get("etag")).toBe(etag);
    await revalidate.arrayBuffer();

    const stale = await SELF.fetch(`http://shop/receipts/${id}`, { headers: { "if-match": '"0000"' } });
    expect(stale.status).toBe(412);
    await stale.arrayBuffer();

    const part = await SELF.fetch(`http://shop/receipts/${id}`, { headers: { range: "bytes=-4" } });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 8-11/12");
    expect(await part.text()).toBe("body");

    const head = await SELF.fetch(`http://shop/receipts/${id}`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(etag);
  });

  it("answers 404 as JSON for a missing receipt and 400 for a bad id", async () => {
    const missing = await SELF.fetch(`http://shop/receipts/${crypto.randomUUID()}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "receipt not found" });
    expect((await SELF.fetch("http://shop/receipts/..%2f..%2fsecret")).status).toBe(400);
  });
});

describe("orders on blastwall/d1", () => {
  it("writes item_count for new orders (expand step) and reads through bound queries", async () => {
    const res = await SELF.fetch("http://shop/orders", {
      method: "POST",
      body: JSON.stringify({
        userId: "ann",
        items: [
          { sku: "tea", quantity: 2, priceCents: 450 },
          { sku: "mug", quantity: 1, priceCents: 900 },
        ],
      }),
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };
    const row = await env.DB.prepare("SELECT item_count FROM orders WHERE id = ?").bind(id).first();
    expect(row).toEqual({ item_count: 3 });
    const got = (await (await SELF.fetch(`http://shop/orders/${id}`)).json()) as { items: unknown[] };
    expect(got.items).toHaveLength(2);
    expect((await SELF.fetch("http://shop/orders/nope")).status).toBe(404);
    const evil = await SELF.fetch(`http://shop/orders?user=${encodeURIComponent("x' OR '1'='1")}`);
    expect(await evil.json()).toEqual({ orders: [] });
  });
});

describe("carts on blastwall/durable", () => {
  it("reads a cart through retryDurable and keeps one object per user", async () => {
    await SELF.fetch("http://shop/carts/zoe", {
      method: "POST",
      body: JSON.stringify({ sku: "tea", quantity: 1, priceCents: 450 }),
    });
    const zoe = (await (await SELF.fetch("http://shop/carts/zoe")).json()) as { lines: { sku: string }[] };
    expect(zoe.lines.map((l) => l.sku)).toEqual(["tea"]);
  });
});
