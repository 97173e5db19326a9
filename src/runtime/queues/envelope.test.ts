import * as v from "valibot";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import { defineMessage, envelopeKey } from "./envelope.js";

const orderCreated = defineMessage("order.created", {
  versions: {
    1: z.object({ orderId: z.string(), totalCents: z.number().int() }),
    2: z.object({ orderId: z.string(), total: z.object({ cents: z.number().int(), currency: z.string() }) }),
  },
  upcast: { 1: (v1) => ({ orderId: v1.orderId, total: { cents: v1.totalCents, currency: "USD" } }) },
});

const env = (v: number, data: unknown) => ({
  type: "order.created",
  v,
  id: "e1",
  source: "shop-api",
  time: "2026-01-01T00:00:00Z",
  data,
});

describe("defineMessage", () => {
  it("hands the handler the latest version: v1 is upcast, v2 passes through", async () => {
    const one = await orderCreated.decode(env(1, { orderId: "o1", totalCents: 250 }));
    expect(one).toMatchObject({ ok: true, data: { orderId: "o1", total: { cents: 250, currency: "USD" } } });
    const two = await orderCreated.decode(env(2, { orderId: "o2", total: { cents: 5, currency: "EUR" } }));
    expect(two).toMatchObject({ ok: true, data: { orderId: "o2", total: { cents: 5, currency: "EUR" } } });
    expect(orderCreated.latest).toBe(2);
    if (one.ok) expectTypeOf(one.data).toEqualTypeOf<{ orderId: string; total: { cents: number; currency: string } }>();
  });

  it("reports validation issues with their path", async () => {
    const bad = await orderCreated.decode(env(1, { orderId: "o1", totalCents: "lots" }));
    expect(bad.ok).toBe(false);
    if (bad.ok || bad.reason !== "invalid_payload") throw new Error("expected invalid_payload");
    expect(bad.issues).toHaveLength(1);
    expect(bad.issues[0]?.path).toBe("data.totalCents");
    expect(bad.message).toMatch(/order.created v1 failed validation/);
  });

  it("validates the upcaster's output against the next version", async () => {
    const broken = defineMessage("x", {
      versions: { 1: v.object({ a: v.string() }), 2: v.object({ b: v.string() }) },
      upcast: { 1: () => ({ b: 42 as unknown as string }) },
    });
    const out = await broken.decode({ type: "x", v: 1, id: "1", source: "s", data: { a: "ok" } });
    expect(out).toMatchObject({
      ok: false,
      reason: "invalid_payload",
      message: "x v2 (upcast from v1) failed validation",
    });
  });

  it("tells a newer version (retry) from an older, a wrong type and a non-envelope (dead letter)", async () => {
    expect(await orderCreated.decode(env(3, {}))).toMatchObject({ ok: false, reason: "newer_version" });
    expect(await orderCreated.decode(env(0, {}))).toMatchObject({ ok: false, reason: "older_than_known" });
    expect(await orderCreated.decode({ ...env(1, {}), type: "order.paid" })).toMatchObject({ reason: "wrong_type" });
    expect(await orderCreated.decode({ orderId: "o1" })).toMatchObject({ reason: "not_an_envelope" });
    expect(await orderCreated.decode({ ...env(1, {}), v: 1.5 })).toMatchObject({ reason: "not_an_envelope" });
    expect(await orderCreated.decode("text")).toMatchObject({ reason: "not_an_envelope" });
  });

  it("works with valibot and zod alike (Standard Schema)", async () => {
    const vb = defineMessage("t", { versions: { 1: v.object({ n: v.number() }) }, upcast: {} });
    expect(await vb.decode({ type: "t", v: 1, id: "1", source: "s", data: { n: 1 } })).toMatchObject({ ok: true });
    expect(await vb.decode({ type: "t", v: 1, id: "1", source: "s", data: { n: "1" } })).toMatchObject({ ok: false });
  });

  it("refuses gaps and missing upcasters when defined", () => {
    expect(() => defineMessage("gap", { versions: { 1: v.string(), 3: v.string() }, upcast: {} as never })).toThrow(
      /version 2 is missing/,
    );
    expect(() => defineMessage("noup", { versions: { 1: v.string(), 2: v.string() }, upcast: {} as never })).toThrow(
      /add upcast\[1\]/,
    );
  });

  it("builds envelopes for producers and keys them by source and id", () => {
    const e = orderCreated.envelope(
      { orderId: "o", total: { cents: 1, currency: "USD" } },
      { id: "e9", source: "api" },
    );
    expect(e).toMatchObject({ type: "order.created", v: 2, id: "e9", source: "api" });
    expect(envelopeKey(e)).toBe("api#e9");
  });
});
