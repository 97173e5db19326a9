import { startHarness } from "../test/reliability/miniflare.js";
import { defineBench, median, round } from "./lib.js";

// The fair baseline first: a batched, non-idempotent consumer (the cheapest a consumer can be).
type Mode = "naive_batched" | "d1" | "d1_claim_first" | "naive" | "claim";
const MODES: Mode[] = ["naive_batched", "d1", "d1_claim_first", "naive", "claim"];
const SIZES = [1, 10, 100] as const;
// Messages per measurement, per batch size: enough batches that per-call noise averages out.
const MESSAGES: Record<(typeof SIZES)[number], number> = { 1: 100, 10: 300, 100: 600 };
const ROUNDS = 7;

interface Step {
  messages: number;
  elapsedMs: number;
  roundTrips: number;
}

/**
 * examples/shop's consumer on the D1 idempotency store, measured against the fair baseline first: a batched,
 * non-idempotent consumer (`naive_batched`: every side effect of the batch in one batch(), one round trip, the
 * cheapest a consumer can be). Then, for context: `d1_claim_first` (claim, then commit: two round trips),
 * `naive` (one batch() per message, as the shop did before) and a claim per message (Powertools style). `d1` is the
 * shop's speculative setting (one round trip when a batch has no duplicate). Inside workerd on Miniflare's D1; D1
 * calls are counted by wrapping the binding. Left out: duplicates and failures (the reliability bench covers them),
 * and D1 over the network (Miniflare's D1 is local SQLite, so a round trip costs far less than in production).
 */
export default defineBench({
  name: "queues",
  description:
    "D1 idempotency store vs the fair baseline, a batched non-idempotent consumer (then vs naive per-message and claim-per-message): throughput and counted D1 round trips per batch at batch sizes 1/10/100 (interleaved, same process)",
  run: async () => {
    const mf = await startHarness({ bindings: { STORE: "d1", FAULTS: "0,0,0", LEASE_MS: "60000" } });
    try {
      let run = 0;
      const step = async (mode: Mode, size: number): Promise<Step> => {
        // Claim-per-message is ~30x slower: a tenth of the messages keeps the bench short, the rate is per message.
        const messages = MESSAGES[size as (typeof SIZES)[number]] / (mode === "claim" ? 10 : 1);
        const batches = Math.max(1, Math.round(messages / size));
        const id = `r${run++}`;
        const count = size * batches;
        const get = async <T>(url: string): Promise<T> => (await (await mf.dispatchFetch(url)).json()) as T;
        await get(`http://bench/bench/seed?run=${id}&count=${count}`);
        // Timed from Node: workerd's own clock only moves on I/O.
        const t0 = performance.now();
        const out = await get<{ roundTrips: number }>(
          `http://bench/bench?mode=${mode}&size=${size}&batches=${batches}&run=${id}`,
        );
        const elapsedMs = performance.now() - t0;
        const { confirmed } = await get<{ confirmed: number }>(`http://bench/bench/confirmed?run=${id}&count=${count}`);
        if (confirmed !== count) throw new Error(`${mode}@${size}: confirmed ${confirmed} of ${count}`);
        return { elapsedMs, roundTrips: out.roundTrips / batches, messages: count };
      };
      const results = [];
      for (const size of SIZES) {
        const samples: Record<Mode, Step[]> = { naive_batched: [], d1: [], d1_claim_first: [], naive: [], claim: [] };
        // Warm-up, then rounds in rotating order so drift hits every mode alike.
        for (const mode of MODES) await step(mode, size);
        for (let r = 0; r < ROUNDS; r++) {
          for (let i = 0; i < MODES.length; i++) {
            const mode = MODES[(i + r) % MODES.length] as Mode;
            samples[mode].push(await step(mode, size));
          }
        }
        const rate = (mode: Mode) => median(samples[mode].map((s) => (s.messages / Math.max(s.elapsedMs, 1)) * 1000));
        const trips = (mode: Mode) => median(samples[mode].map((s) => s.roundTrips));
        // Per batch size, the ratio against the fair baseline leads; the other comparisons follow.
        const ratio = (name: string, a: Mode, b: Mode) => ({ name, value: round(rate(a) / rate(b), 2), unit: "ratio" });
        results.push(
          ratio(`throughput_ratio_vs_naive_batched_${size}`, "d1", "naive_batched"),
          ratio(`claim_first_ratio_vs_naive_batched_${size}`, "d1_claim_first", "naive_batched"),
        );
        for (const mode of MODES) {
          results.push({ name: `${mode}_msgs_per_s_${size}`, value: round(rate(mode), 0), unit: "msg/s" });
          results.push({ name: `${mode}_round_trips_per_batch_${size}`, value: round(trips(mode), 2), unit: "calls" });
        }
        results.push(
          ratio(`throughput_ratio_vs_naive_${size}`, "d1", "naive"),
          ratio(`claim_per_message_ratio_vs_naive_${size}`, "claim", "naive"),
        );
      }
      return results;
    } finally {
      await mf.dispose();
    }
  },
});
