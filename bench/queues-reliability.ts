import { reliabilityRun } from "../test/reliability/harness.js";
import { defineBench, round } from "./lib.js";

const EVENTS = 10_000;

/**
 * The full reliability run of blastwall/queues: 10,000 order events per store through Miniflare's queue broker and
 * examples/shop's consumer, with 20% duplicate deliveries and 30% injected crashes (npm test runs 1,000). The
 * baseline in the same run is the D1 store: the Durable Object and KV stores are compared with it.
 */
export default defineBench({
  name: "queues-reliability",
  description:
    "10,000 events per idempotency store (D1, Durable Object, KV) with 20% duplicates and 30% injected crashes: lost messages and repeated side effects, D1 store as the baseline",
  run: async () => {
    const results = [];
    let d1WallMs = 0;
    for (const store of ["d1", "do", "kv"] as const) {
      const r = await reliabilityRun({ store, events: EVENTS, timeoutMs: 900_000 });
      if (store === "d1") d1WallMs = r.wallMs;
      results.push(
        { name: `${store}_messages_sent`, value: r.messagesSent, unit: "messages" },
        { name: `${store}_duplicate_deliveries`, value: r.duplicateDeliveries, unit: "messages" },
        {
          name: `${store}_faults_fired`,
          value: r.faultsFired.throw + r.faultsFired.before + r.faultsFired.after,
          unit: "faults",
        },
        { name: `${store}_worker_deaths`, value: r.deaths, unit: "invocations" },
        { name: `${store}_lost`, value: r.lost, unit: "events" },
        { name: `${store}_valid_in_dlq`, value: r.validInDlq, unit: "events" },
        { name: `${store}_poison_in_dlq_with_body`, value: r.poison.inDlqWithOriginalBody, unit: "messages" },
        { name: `${store}_poison_sent`, value: r.poison.invalid + r.poison.v3, unit: "messages" },
        { name: `${store}_applied_twice_or_more`, value: r.appliedTwiceOrMore, unit: "events" },
        {
          name: `${store}_repeats_from_duplicate_deliveries`,
          value: r.repeatsFromDuplicateDeliveries,
          unit: "repeats",
        },
        { name: `${store}_repeats_from_crash_windows`, value: r.repeatsFromCrashWindows, unit: "repeats" },
        { name: `${store}_duplicate_rate`, value: round(r.duplicateRate, 4), unit: "ratio" },
        { name: `${store}_wall_s`, value: round(r.wallMs / 1000, 1), unit: "s" },
        { name: `${store}_wall_ratio_vs_d1`, value: round(r.wallMs / d1WallMs, 2), unit: "ratio" },
      );
    }
    return results;
  },
});
