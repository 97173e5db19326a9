// How `blastwall release` ships the shop. The import resolves through the installed package, as in any app.
import { defineConfig } from "blastwall/config";

export default defineConfig({
  defaults: {
    analysis: { alpha: 0.01, toleratedIncrease: 0.1, latencyQuantiles: ["p50", "p90", "p99"], minSamples: 100 },
    noData: { deadline: "10m", action: "rollback" },
    soak: "30m",
    pollInterval: "5s",
  },
  workers: {
    "shop-api": {
      smoke: [
        { path: "/healthz", bodyMatch: '"ok":true', maxLatencyMs: 500 },
        { name: "list orders", path: "/orders?user=smoke-test", bodyMatch: '"orders"' },
        {
          name: "create order",
          method: "POST",
          path: "/orders",
          headers: { "content-type": "application/json" },
          body: { userId: "smoke-test", items: [{ sku: "smoke-sku", quantity: 1, priceCents: 0 }] },
          expectStatus: 201,
          bodyMatch: '"id"',
        },
        { name: "get cart", path: "/carts/smoke-test", bodyMatch: '"lines"' },
      ],
      // Short steps: the local edge demo drives a few hundred requests a second.
      steps: [
        { percent: 5, minDuration: "30s", minSamples: 100 },
        { percent: 25, minDuration: "30s", minSamples: 300 },
        { percent: 50, minDuration: "30s", minSamples: 600 },
        100,
      ],
      analysis: { slo: { errorRate: 0.02, latencyMs: 1000, latencyQuantile: 0.95 } },
      watch: { queues: ["order-events-dlq"], durableObjects: ["Cart"] },
    },
    "shop-consumer": {
      // A consumer sees batches, not requests: few samples, and a human decides when they do not come.
      steps: [{ percent: 50, minDuration: "2m", minSamples: 20 }, 100],
      analysis: { minSamples: 20, latencyQuantiles: false },
      noData: { deadline: "10m", action: "pause" },
      watch: { queues: ["order-events-dlq"] },
    },
  },
});
