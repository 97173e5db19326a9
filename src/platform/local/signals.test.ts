import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { QueueBroker } from "./queue-broker.js";
import { EdgeSignals, likeCloudflare, type MetricsModel } from "./signals.js";
import { EdgeState } from "./state.js";

const dir = mkdtempSync(join(tmpdir(), "bw-signals-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function open(model?: MetricsModel, random?: () => number) {
  const state = new EdgeState(join(dir, "state.json"));
  const broker = new QueueBroker({
    file: join(dir, "q.sqlite"),
    consumerOf: () => undefined,
    dlqOf: () => undefined,
    deliver: async () => ({ outcome: "ok" }),
  });
  const signals = new EdgeSignals({
    file: join(dir, "signals.sqlite"),
    state,
    broker,
    dlqOf: () => "orders-dlq",
    ...(model ? { model } : {}),
    ...(random ? { random } : {}),
  });
  return { state, broker, signals };
}

describe("attributed signals", () => {
  it("counts Durable Object errors by class and by the version that ran the object, and keeps them", async () => {
    const { state, broker, signals } = open();
    state.addDeployment(
      "shop",
      [
        { versionId: "canary", percentage: 10 },
        { versionId: "stable", percentage: 90 },
      ],
      "deployment",
    );
    const post = (body: unknown) =>
      signals.endpoint(new Request("http://signals/durable-object", { method: "POST", body: JSON.stringify(body) }));
    expect((await post({ className: "Cart", versionId: "canary", kind: "exception" })).status).toBe(200);
    expect((await post({ className: "Cart", versionId: "canary", kind: "overloaded" })).status).toBe(200);
    expect((await post({ className: "Cart", versionId: "stable", kind: "503" })).status).toBe(200);
    expect((await post({ className: "Cart", versionId: "stable", kind: "teapot" })).status).toBe(400);
    expect((await post({ className: 7 })).status).toBe(400);
    const query = {
      worker: "shop",
      since: new Date(Date.now() - 60_000),
      queues: ["orders"],
      durableObjects: ["Cart", "Room"],
    };
    const expected = {
      dlqMessages: { orders: 0 },
      durableObjectErrors: { Cart: 3, Room: 0 },
      byVersion: {
        canary: { dlqMessages: { orders: 0 }, durableObjectErrors: { Cart: 2, Room: 0 } },
        stable: { dlqMessages: { orders: 0 }, durableObjectErrors: { Cart: 1, Room: 0 } },
      },
    };
    expect(signals.extraSignals(query)).toEqual(expected);
    // Outside the window: nothing.
    expect(signals.extraSignals({ ...query, since: new Date(0), until: new Date(1) }).durableObjectErrors.Cart).toBe(0);
    signals.close();
    await broker.stop();
    // A restart keeps them.
    const again = open();
    expect(again.signals.extraSignals(query)).toEqual(expected);
    again.signals.close();
    await again.broker.stop();
  });

  it("metrics: immediate by default; like Cloudflare, lagged and sampled at high rates; kept across a restart", async () => {
    const now = Date.now();
    const second = Math.floor(now / 1000) * 1000 - 30_000;
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const like = open(likeCloudflare({ lagSeconds: 10, sampleAbovePerSecond: 100 }), random);
    const sample = (worker: string, at: number) =>
      like.signals.record({ worker, versionId: "v1", status: 200, latencyMs: 5, exception: false, at });
    for (let i = 0; i < 2000; i++) sample("busy", second + (i % 1000));
    sample("fresh", now);
    const window = { since: new Date(second - 1000) };
    const [busy] = like.signals.metrics({ worker: "busy", ...window });
    // 2,000 requests in one second: the rows kept are about 100 per doubling step, as the raw counts (like the
    // Cloudflare target), and the weighted estimate stays near 2,000.
    expect(busy?.requests).toBeGreaterThan(250);
    expect(busy?.requests).toBeLessThan(500);
    expect(busy?.weighted?.requests).toBeGreaterThan(1700);
    expect(busy?.weighted?.requests).toBeLessThan(2300);
    // Within the 10 s lag: not visible yet.
    expect(like.signals.metrics({ worker: "fresh", ...window })).toEqual([]);
    like.signals.close();
    await like.broker.stop();
    const again = open();
    expect(again.signals.metrics({ worker: "busy", ...window })[0]).toMatchObject({
      requests: busy?.requests,
      weighted: busy?.weighted,
    });
    // Immediate again: the fresh request shows at once.
    expect(again.signals.metrics({ worker: "fresh", ...window })[0]?.requests).toBe(1);
    again.signals.record({ worker: "exact", versionId: "v1", status: 500, latencyMs: 1, exception: true });
    for (let i = 0; i < 499; i++) {
      again.signals.record({ worker: "exact", versionId: "v1", status: 200, latencyMs: 1, exception: false });
    }
    const exact = again.signals.metrics({ worker: "exact", ...window })[0];
    expect(exact).toMatchObject({ requests: 500, exceptions: 1 });
    expect(exact?.weighted).toBeUndefined();
    again.signals.close();
    await again.broker.stop();
  });

  it("answers exactly the half-open window asked, in request time, leaving out only rows not yet ingested", async () => {
    const like = open(likeCloudflare({ lagSeconds: 10 }));
    const now = Date.now();
    const base = Math.floor(now / 1000) * 1000 - 40_000;
    // One request in each of the last 40 seconds, the last few still inside the 10 s lag.
    for (let i = 0; i < 40; i++) {
      like.signals.record({
        worker: "tiles",
        versionId: "v1",
        status: 200,
        latencyMs: 2,
        exception: false,
        at: base + i * 1000 + 500,
      });
    }
    const read = (since: number, until: number) =>
      like.signals.metrics({ worker: "tiles", since: new Date(since), until: new Date(until) })[0]?.requests ?? 0;
    // Back-to-back 5 s windows, as the release reads [lastRead, now − lag): each second once, none twice.
    const tiles = [0, 1, 2, 3, 4, 5].map((k) => read(base + k * 5000, base + (k + 1) * 5000));
    expect(tiles).toEqual([5, 5, 5, 5, 5, 5]);
    // The window is never moved: a window inside the lag reads nothing yet, not older rows in its place.
    expect(read(now - 5000, now)).toBe(0);
    // Asked up to now, it reads the ingested seconds only (29 to 30 of the 40, by where in its second now falls).
    expect(read(base, now)).toBeGreaterThanOrEqual(29);
    expect(read(base, now)).toBeLessThanOrEqual(30);
    like.signals.close();
    await like.broker.stop();
  });
});
