import { startHarness } from "../test/reliability/miniflare.js";
import { defineBench, median, round } from "./lib.js";

type Mode = "d1" | "d1_claim_first" | "naive" | "naive_batched" | "claim";
const MODES: Mode[] = ["d1", "d1_claim_first", "naive", "naive_batched", "claim"];
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
 * examples/shop's consumer on the D1 idempotency store (`d1`: its speculative setting, one round trip when a batch
 * has no duplicate; `d1_claim_first`: claim, then commit, two round trips) vs two naive consumers without idempotency (`naive`: one
 * batch() per message, as the shop did before; `naive_batched`: every side effect of the batch in one batch(), the
 * cheapest possible) vs a claim per message (Powertools style), inside workerd on Miniflare's D1.
 * D1 calls are counted by wrapping the binding.
 */
export default defineBench({
  name: "queues",
  description:
    "D1 idempotency store vs naive consumer (per message, and batched) vs claim-per-message: throughput and counted D1 round trips per batch at batch sizes 1/10/100 (interleaved, same process)",
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
        const samples: Record<Mode, Step[]> = { d1: [], d1_claim_first: [], naive: [], naive_batched: [], claim: [] };
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
        for (const mode of MODES) {
          results.push({ name: `${mode}_msgs_per_s_${size}`, value: round(rate(mode), 0), unit: "msg/s" });
          results.push({ name: `${mode}_round_trips_per_batch_${size}`, value: round(trips(mode), 2), unit: "calls" });
        }
        results.push({
          name: `throughput_ratio_vs_naive_${size}`,
          value: round(rate("d1") / rate("naive"), 2),
          unit: "ratio",
        });
        results.push({
          name: `throughput_ratio_vs_naive_batched_${size}`,
          value: round(rate("d1") / rate("naive_batched"), 2),
          unit: "ratio",
        });
        results.push({
          name: `claim_first_ratio_vs_naive_batched_${size}`,
          value: round(rate("d1_claim_first") / rate("naive_batched"), 2),
          unit: "ratio",
        });
        results.push({
          name: `claim_per_message_ratio_vs_naive_${size}`,
          value: round(rate("claim") / rate("naive"), 2),
          unit: "ratio",
        });
      }
      return results;
    } finally {
      await mf.dispose();
    }
  },
});
