import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliJson, placeOrder, type ShopEdge, startShopEdge, upload, waitFor } from "./helpers.js";

interface QueueRow {
  queue: string;
  paused: boolean;
  backlog?: number;
  dlqDepth?: number;
}

async function queue(shop: ShopEdge, name: string): Promise<QueueRow> {
  const { queues } = await cliJson<{ queues: QueueRow[] }>(shop.dir, ["queues", "list"]);
  const row = queues.find((q) => q.queue === name);
  if (!row) throw new Error(`queue ${name} not listed: ${JSON.stringify(queues)}`);
  return row;
}

async function statuses(shop: ShopEdge, ids: string[]): Promise<string[]> {
  return Promise.all(
    ids.map(
      async (id) =>
        ((await (await fetch(shop.url(`/orders/${id}`))).json()) as { order: { status: string } }).order.status,
    ),
  );
}

describe("local edge: queues", () => {
  let shop: ShopEdge;

  beforeAll(async () => {
    shop = await startShopEdge("queues");
    expect((await cli(shop.dir, ["d1", "migrations", "apply"])).code).toBe(0);
    const api = await upload(shop, "shop-api", "v1");
    await cliJson(shop.dir, ["versions", "deploy", `${api.id}@100`]);
    const consumer = await upload(shop, "shop-consumer", "c1");
    await cliJson(shop.dir, ["versions", "deploy", "--worker", "shop-consumer", `${consumer.id}@100`]);
  });

  afterAll(async () => {
    await shop?.teardown();
  });

  it("keeps every message while paused and delivers all of them on resume", async () => {
    const paused = await cliJson<QueueRow>(shop.dir, ["queues", "pause", "order-events"]);
    expect(paused.paused).toBe(true);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await placeOrder(shop, `q-user-${i}`));
    await waitFor("12 messages held", async () =>
      (await queue(shop, "order-events")).backlog === 12 ? true : undefined,
    );
    // Longer than the consumer's max_batch_timeout (1 s): a running consumer would have confirmed them by now.
    await new Promise((r) => setTimeout(r, 2500));
    expect((await queue(shop, "order-events")).backlog).toBe(12);
    expect(new Set(await statuses(shop, ids))).toEqual(new Set(["pending"]));

    const resumed = await cliJson<QueueRow>(shop.dir, ["queues", "resume", "order-events"]);
    expect(resumed.paused).toBe(false);
    await waitFor("the backlog to drain", async () =>
      (await queue(shop, "order-events")).backlog === 0 ? true : undefined,
    );
    await waitFor("every order confirmed", async () =>
      (await statuses(shop, ids)).every((s) => s === "confirmed") ? true : undefined,
    );
  });

  it("puts poison messages in the DLQ and counts them as a release signal", async () => {
    const since = new Date(Date.now() - 1000);
    const before = (await queue(shop, "order-events")).dlqDepth ?? 0;
    await shop.platform.sendToQueue("order-events", [{ type: "order.created", id: 42 }, "not an event"]);
    await waitFor("2 messages in the DLQ", async () =>
      ((await queue(shop, "order-events")).dlqDepth ?? 0) - before === 2 ? true : undefined,
    );
    const signals = await shop.platform.extraSignals({
      worker: "shop-consumer",
      since,
      queues: ["order-events"],
      durableObjects: [],
    });
    expect(signals.dlqMessages["order-events"]).toBe(2);
    expect((await queue(shop, "order-events")).backlog).toBe(0);
  });

  it("refuses an unknown queue with the list of known ones", async () => {
    const r = await cli(shop.dir, ["queues", "pause", "order-evnts"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("order-events");
  });
});
