import { env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it } from "vitest";

const TOKEN = "shop-test-admin-token-0123456789abcdef";
const ORDER = { userId: "ops-u1", items: [{ sku: "tea", quantity: 1, priceCents: 450 }] };

function setFlag(name: string, value: string, token: string | null = TOKEN): Promise<Response> {
  return SELF.fetch(`http://shop/__blastwall/ops/flags/${encodeURIComponent(name)}`, {
    method: "PUT",
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    body: JSON.stringify({ value, actor: "oncall-test" }),
  });
}

async function orderCount(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM orders WHERE user_id = ?").bind(ORDER.userId).first<{
    n: number;
  }>();
  return row?.n ?? 0;
}

afterEach(async () => {
  expect((await setFlag("disable_writes", "0")).status).toBe(200);
  expect((await setFlag("disable_enqueue", "0")).status).toBe(200);
});

describe("shop-api ops flags", () => {
  it("pauses writes with disable_writes: 503 + Retry-After, nothing written; reads and /healthz keep working", async () => {
    expect((await setFlag("disable_writes", "1")).status).toBe(200);
    const before = await orderCount();
    const res = await SELF.fetch("http://shop/orders", { method: "POST", body: JSON.stringify(ORDER) });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    expect(await res.json()).toMatchObject({ error: "writes_paused", flag: "disable_writes" });
    expect(await orderCount()).toBe(before);
    const cart = await SELF.fetch("http://shop/carts/ops-ann", {
      method: "POST",
      body: JSON.stringify({ sku: "mug", quantity: 1, priceCents: 900 }),
    });
    expect(cart.status).toBe(503);
    expect((await SELF.fetch("http://shop/orders")).status).toBe(200);
    expect((await SELF.fetch("http://shop/carts/ops-ann")).status).toBe(200);
    expect((await SELF.fetch("http://shop/healthz")).status).toBe(200);

    expect((await setFlag("disable_writes", "0")).status).toBe(200);
    const after = await SELF.fetch("http://shop/orders", { method: "POST", body: JSON.stringify(ORDER) });
    expect(after.status).toBe(201);
    expect(await orderCount()).toBe(before + 1);
  });

  it("mirrors each flip to the CONFIG namespace as ops:<name>, for shop-consumer", async () => {
    expect((await setFlag("pause_consumer:order-events", "1")).status).toBe(200);
    expect(await env.CONFIG.get("ops:pause_consumer:order-events")).toBe("1");
    expect((await setFlag("pause_consumer:order-events", "0")).status).toBe(200);
    expect(await env.CONFIG.get("ops:pause_consumer:order-events")).toBe("0");
  });

  it("refuses to enqueue order events with disable_enqueue and answers 503 before writing the order", async () => {
    const orders = async () => (await env.DB.prepare("SELECT count(*) AS n FROM orders").first<{ n: number }>())?.n;
    const before = await orders();
    expect((await setFlag("disable_enqueue", "1")).status).toBe(200);
    const res = await SELF.fetch("http://shop/orders", { method: "POST", body: JSON.stringify(ORDER) });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe("enqueue_paused");
    expect(body.message).toMatch(
      /disable_enqueue.*sending to queue "order-events" is off \(checked before any write\)/,
    );
    // canSend ran before the INSERT: no orphaned order without its event.
    expect(await orders()).toBe(before);
  });

  it("lists the shop's flags with their fail modes and keeps an audit log", async () => {
    await setFlag("disable_writes", "1");
    const auth = { authorization: `Bearer ${TOKEN}` };
    const list = (await (await SELF.fetch("http://shop/__blastwall/ops/flags", { headers: auth })).json()) as {
      flags: { name: string; failMode: string }[];
    };
    expect(list.flags).toContainEqual(expect.objectContaining({ name: "disable_writes", failMode: "open" }));
    expect(list.flags).toContainEqual(expect.objectContaining({ name: "disable_enqueue", failMode: "open" }));
    const audit = (await (await SELF.fetch("http://shop/__blastwall/ops/audit?limit=1", { headers: auth })).json()) as {
      entries: { flag: string; new: string; actor: string }[];
    };
    expect(audit.entries[0]).toMatchObject({ flag: "disable_writes", new: "1", actor: "oncall-test" });
  });

  it("answers 401 without the admin token and changes nothing", async () => {
    const res = await setFlag("disable_writes", "1", null);
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain(TOKEN);
    expect((await SELF.fetch("http://shop/orders", { method: "POST", body: JSON.stringify(ORDER) })).status).toBe(201);
  });
});
