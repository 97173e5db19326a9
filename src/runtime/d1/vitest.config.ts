import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
    cloudflareTest({
      miniflare: {
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["nodejs_compat"],
        d1Databases: ["D1_DB"],
      },
    }),
  ],
  test: { name: "runtime:d1", include: ["**/*.test.ts"], testTimeout: 60_000 },
});
