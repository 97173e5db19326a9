import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
    cloudflareTest({
      main: "./test-worker.ts",
      miniflare: {
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["nodejs_compat"],
        durableObjects: { DURABLE_COUNTER: "DurableShardCounter" },
      },
    }),
  ],
  test: { name: "runtime:durable", testTimeout: 30_000, include: ["**/*.test.ts"] },
});
