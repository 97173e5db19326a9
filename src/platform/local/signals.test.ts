import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { QueueBroker } from "./queue-broker.js";
import { EdgeSignals } from "./signals.js";
import { EdgeState } from "./state.js";

const dir = mkdtempSync(join(tmpdir(), "bw-signals-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function open() {
  const state = new EdgeState(join(dir, "state.json"));
  const broker = new QueueBroker({
    file: join(dir, "q.sqlite"),
    consumerOf: () => undefined,
    dlqOf: () => undefined,
    deliver: async () => ({ outcome: "ok" }),
  });
  const signals = new EdgeSignals({ file: join(dir, "signals.sqlite"), state, broker, dlqOf: () => "orders-dlq" });
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
});
