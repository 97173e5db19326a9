/**
 * Real requests the drills make to tell "broken" from "restored", written for an orders API shaped like
 * examples/shop (`POST /orders`, `GET /orders/:id`, `/carts/:user`, `/healthz`). Nothing is assumed: every check
 * is an HTTP answer from the local edge's router.
 */

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

export interface PlacedOrder {
  id: string;
  totalCents: number;
}

/** Places one order; undefined when the API refused it (the status is in `error`). */
export async function placeOrder(base: string, userId: string): Promise<PlacedOrder | { error: number }> {
  const res = await fetch(`${base}/orders`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ userId, items: [{ sku: "sku-drill", quantity: 2, priceCents: 250 }] }),
  });
  if (res.status !== 201) {
    await res.body?.cancel();
    return { error: res.status };
  }
  return (await res.json()) as PlacedOrder;
}

/** Places `n` orders and fails loudly if any is refused (setup, not a check). */
export async function placeOrders(base: string, n: number, prefix: string): Promise<PlacedOrder[]> {
  const out: PlacedOrder[] = [];
  for (let i = 0; i < n; i++) {
    const r = await placeOrder(base, `${prefix}-${i}`);
    if ("error" in r) throw new Error(`setup: POST /orders answered ${r.error}`);
    out.push(r);
  }
  return out;
}

export interface OrderView {
  status: number;
  order?: { id: string; status: string; total_cents: number };
  items: unknown[];
}

export async function getOrder(base: string, id: string): Promise<OrderView> {
  const res = await fetch(`${base}/orders/${encodeURIComponent(id)}`);
  if (res.status !== 200) {
    await res.body?.cancel();
    return { status: res.status, items: [] };
  }
  const body = (await res.json()) as { order: OrderView["order"]; items?: unknown[] };
  return { status: 200, order: body.order, items: body.items ?? [] };
}

/** `n` requests to a path: how many answered 2xx, and the statuses seen. */
export async function sample(
  base: string,
  path: string,
  n: number,
  init: () => RequestInit = () => ({}),
): Promise<ProbeResult & { ok2xx: number }> {
  const statuses = new Map<number, number>();
  let ok2xx = 0;
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${base}${path}`, init());
    await res.body?.cancel();
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 200 && res.status < 300) ok2xx++;
  }
  const seen = [...statuses].map(([s, c]) => `${c}×${s}`).join(", ");
  return { ok: ok2xx === n, ok2xx, detail: `${path}: ${ok2xx}/${n} 2xx (${seen})` };
}

/** Every order is there, as it was placed, and confirmed by the consumer. */
export async function ordersIntact(base: string, orders: PlacedOrder[], wantStatus?: string): Promise<ProbeResult> {
  let found = 0;
  let withItems = 0;
  let inStatus = 0;
  for (const o of orders) {
    const v = await getOrder(base, o.id);
    if (v.status !== 200 || v.order?.total_cents !== o.totalCents) continue;
    found++;
    if (v.items.length > 0) withItems++;
    if (!wantStatus || v.order.status === wantStatus) inStatus++;
  }
  const n = orders.length;
  const ok = found === n && withItems === n && inStatus === n;
  const status = wantStatus ? `, ${inStatus} ${wantStatus}` : "";
  return { ok, detail: `${found}/${n} orders found, ${withItems} with their items${status}` };
}
