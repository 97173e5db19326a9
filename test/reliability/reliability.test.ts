// The reliability run of blastwall/queues (issue 4) at CI size: 1,000 order events per store through the real local
// queue broker and examples/shop's consumer. `npm run -s bench -- queues-reliability` runs the full 10,000.
import { describe, expect, it } from "vitest";
import { type ReliabilityReport, reliabilityRun } from "./harness.js";

const EVENTS = 1_000;

describe("reliability run: 20% duplicate deliveries, 30% injected crashes, poison, mixed v1/v2/v3", () => {
  const runs = Promise.all([
    reliabilityRun({ store: "d1", events: EVENTS, timeoutMs: 110_000 }),
    reliabilityRun({ store: "d1", speculative: false, events: EVENTS, timeoutMs: 110_000 }),
    reliabilityRun({ store: "do", events: EVENTS, timeoutMs: 110_000 }),
    reliabilityRun({ store: "kv", events: EVENTS, timeoutMs: 110_000 }),
  ]);
  // Each test awaits the runs; this only stops an early failure from counting as an unhandled rejection.
  runs.catch(() => {});
  const report = async (store: string, speculative = store === "d1"): Promise<ReliabilityReport> => {
    const all = await runs;
    const found = all.find((r) => r.store === store && r.speculative === speculative);
    if (!found) throw new Error(`no run for ${store}`);
    console.log(JSON.stringify(found));
    return found;
  };

  const common = (r: ReliabilityReport) => {
    // The run really was hostile.
    expect(r.duplicateDeliveries).toBeGreaterThan(EVENTS * 0.15);
    expect(r.faultsFired.throw + r.faultsFired.before + r.faultsFired.after).toBeGreaterThan(EVENTS * 0.25);
    expect(r.faultsFired.before).toBeGreaterThan(0);
    expect(r.faultsFired.after).toBeGreaterThan(0);
    expect(r.deaths).toBeGreaterThan(0);
    // Nothing lost: every valid order confirmed, none dead-lettered; every poison message in the DLQ, as sent.
    expect(r.lost).toBe(0);
    expect(r.validInDlq).toBe(0);
    expect(r.ordersConfirmed).toBe(EVENTS);
    expect(r.poison.inDlqWithOriginalBody).toBe(r.poison.invalid + r.poison.v3);
    expect(r.poison.invalidWithIssues).toBe(r.poison.invalid);
    expect(r.poison.v3RetriedThenDeadLettered).toBe(r.poison.v3);
    expect(r.acked).toBe(r.messagesSent);
  };

  it("D1 store with D1 side effects (speculative, the shop's setting): 0 lost, 0 side effects applied twice", async () => {
    const r = await report("d1");
    common(r);
    expect(r.appliedTwiceOrMore).toBe(0);
  }, 120_000);

  it("D1 store claim-first (leases taken over after deaths): 0 lost, 0 side effects applied twice", async () => {
    const r = await report("d1", false);
    common(r);
    expect(r.appliedTwiceOrMore).toBe(0);
  }, 120_000);

  it("Durable Object store: 0 lost; repeats come only from crashes between side effect and completion", async () => {
    const r = await report("do");
    common(r);
    expect(r.repeatsFromDuplicateDeliveries).toBe(0);
  }, 120_000);

  it("KV store (best effort): 0 lost; the duplicate rate is measured", async () => {
    const r = await report("kv");
    common(r);
    console.log(`kv store: ${(r.duplicateRate * 100).toFixed(1)}% of events applied more than once`);
  }, 120_000);
});
