import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAlive } from "../../src/platform/local/daemon.js";
import {
  cli,
  cliJson,
  placeOrder,
  readEdgeInfo,
  type ShopEdge,
  startShopEdge,
  type UploadedVersion,
  upload,
  waitFor,
} from "./helpers.js";

describe("local edge: SIGKILL and a fresh start keep everything", () => {
  let shop: ShopEdge;
  let v1: UploadedVersion;
  let v2: UploadedVersion;
  let orderId: string;
  const receipt = new Uint8Array([37, 80, 68, 70, 45, 1, 2, 3]);

  beforeAll(async () => {
    shop = await startShopEdge("restart");
    expect((await cli(shop.dir, ["d1", "migrations", "apply"])).code).toBe(0);
    v1 = await upload(shop, "shop-api", "v1");
    await cliJson(shop.dir, ["versions", "deploy", `${v1.id}@100`]);
    v2 = await upload(shop, "shop-api", "v2");
    await cliJson(shop.dir, ["versions", "deploy", `${v2.id}@25`, `${v1.id}@75`, "--message", "before the crash"]);
    // D1 (orders), R2 (receipts), KV (the flag's KV mirror) and a Durable Object (carts).
    orderId = await placeOrder(shop, "crash-user");
    const put = await fetch(shop.url(`/receipts/${orderId}`), {
      method: "PUT",
      headers: { "content-type": "application/pdf" },
      body: receipt,
    });
    expect(put.status).toBe(201);
    const cart = await fetch(shop.url("/carts/crash-user"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sku: "sku-9", quantity: 3, priceCents: 100 }),
    });
    expect(cart.status).toBe(200);
    expect((await cli(shop.dir, ["flags", "set", "disable_writes", "on", "--actor", "drill"])).code).toBe(0);
  });

  afterAll(async () => {
    await shop?.teardown();
  });

  it("comes back with its versions, deployment and D1, KV, R2 and Durable Object data", async () => {
    const before = readEdgeInfo(shop.dir);
    if (!before) throw new Error("no edge.json");
    // SIGKILL the edge alone, as a crash would: its workerd is orphaned and the next start must end it.
    const orphans = before.runtimePids ?? [];
    expect(orphans.length).toBeGreaterThan(0);
    process.kill(before.pid, "SIGKILL");
    await waitFor("the edge to die", async () => (isAlive(before.pid) ? undefined : true));

    const up = await cli(shop.dir, ["local", "up", "--port", "0"]);
    expect(up.code, up.stderr).toBe(0);
    expect(readEdgeInfo(shop.dir)?.pid).not.toBe(before.pid);
    const stillRunning = orphans.filter((pid) => isAlive(pid));
    expect(stillRunning).toEqual([]);

    const versions = await cliJson<{ versions: { id: string; tag?: string; percentage: number }[] }>(shop.dir, [
      "versions",
      "list",
    ]);
    expect(versions.versions.map((v) => [v.id, v.tag, v.percentage])).toEqual([
      [v2.id, "v2", 25],
      [v1.id, "v1", 75],
    ]);
    const current = await shop.platform.currentDeployment("shop-api");
    expect(current?.message).toBe("before the crash");

    const order = await fetch(shop.url(`/orders/${orderId}`));
    expect(order.status).toBe(200);
    expect(((await order.json()) as { items: unknown[] }).items).toHaveLength(1);

    const got = await fetch(shop.url(`/receipts/${orderId}`));
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(receipt);

    const cart = (await (await fetch(shop.url("/carts/crash-user"))).json()) as { lines: { sku: string }[] };
    expect(cart.lines.map((l) => l.sku)).toEqual(["sku-9"]);

    const flags = await cliJson<{ flags: { name: string; value: string; actor?: string }[] }>(shop.dir, [
      "flags",
      "list",
    ]);
    expect(flags.flags).toContainEqual(expect.objectContaining({ name: "disable_writes", value: "1", actor: "drill" }));

    const migrations = await shop.platform.listMigrations("shop-api", "shop");
    expect(migrations.every((m) => m.applied)).toBe(true);
  });
});
