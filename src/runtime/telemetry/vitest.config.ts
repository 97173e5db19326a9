import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
    cloudflareTest({
      miniflare: {
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["nodejs_compat"],
        // Miniflare's own Analytics Engine binding: it accepts writes but cannot be read back,
        // so the tests also pass a recording binding to see exactly what was written.
        analyticsEngineDatasets: { TELEMETRY_AE: { dataset: "blastwall_telemetry_test" } },
      },
    }),
  ],
  test: { name: "runtime:telemetry", testTimeout: 30_000, include: ["**/*.test.ts"] },
});
