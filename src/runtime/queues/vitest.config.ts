import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
    cloudflareTest({
      main: "./test-worker.ts",
      miniflare: {
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["nodejs_compat"],
        d1Databases: ["Q_DB"],
        kvNamespaces: ["Q_KV"],
        durableObjects: { Q_SHARDS: { className: "IdempotencyShard", useSQLite: true } },
        // A real queue, consumed by test-worker.ts through Miniflare's broker, with a real dead-letter queue.
        queueProducers: { Q_IN: "q-in", Q_DLQ: "q-dlq" },
        queueConsumers: {
          "q-in": { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 2, retryDelay: 0, deadLetterQueue: "q-dlq" },
          "q-dlq": { maxBatchSize: 100, maxBatchTimeout: 0.05 },
        },
      },
    }),
  ],
  test: { name: "runtime:queues", include: ["**/*.test.ts"], testTimeout: 30_000 },
});
