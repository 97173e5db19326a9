import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
    cloudflareTest({
      main: "./test-worker.ts",
      miniflare: {
        compatibilityDate: "2026-04-01",
        compatibilityFlags: ["nodejs_compat"],
        durableObjects: { HONO_OPS: { className: "BlastwallOpsFlags", useSQLite: true } },
        bindings: { HONO_ADMIN_TOKEN: "hono-admin-token-for-tests-abcdef" },
      },
    }),
  ],
  test: { name: "runtime:hono", testTimeout: 30_000, include: ["**/*.test.ts"] },
});
