import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(new URL("../migrations", import.meta.url).pathname),
          // Stands in for the secret `wrangler secret put BLASTWALL_ADMIN_TOKEN` sets in production.
          BLASTWALL_ADMIN_TOKEN: "shop-test-admin-token-0123456789abcdef",
        },
      },
    })),
  ],
  // The 100,000-row backfill test needs more than the default 5 s on a loaded 2-core machine.
  test: {
    name: "shop-api",
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    testTimeout: 60_000,
  },
});
