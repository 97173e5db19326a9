import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
    cloudflareTest({
      main: "./test-worker.ts",
      miniflare: {
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["nodejs_compat"],
        durableObjects: {
          OPS_DO: { className: "BlastwallOpsFlags", useSQLite: true },
          OPS_DO_DOWN: { className: "OpsFlagsDown", useSQLite: true },
        },
        kvNamespaces: ["OPS_KV"],
        queueProducers: { OPS_QUEUE: "ops-queue" },
        bindings: { OPS_ADMIN_TOKEN: "s3cr3t-ops-token-for-tests-0123456789" },
      },
    }),
  ],
  test: { name: "runtime:ops", testTimeout: 30_000, include: ["**/*.test.ts"] },
});
