import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
    cloudflareTest({
      miniflare: {
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["nodejs_compat"],
        r2Buckets: ["R2_BUCKET"],
      },
    }),
  ],
  test: { name: "runtime:r2", include: ["**/*.test.ts"], testTimeout: 60_000 },
});
