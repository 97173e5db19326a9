import { fileURLToPath } from "node:url";
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
  // Inside this repo the example imports blastwall from source (as its wrangler.jsonc does).
  resolve: {
    alias: [
      {
        find: /^blastwall\/(.*)$/,
        replacement: fileURLToPath(new URL("../../../src/runtime/$1/index.ts", import.meta.url)),
      },
    ],
  },
  // The 100,000-row backfill test needs more than the default 5 s on a loaded 2-core machine.
  test: {
    name: "shop-api",
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
    testTimeout: 60_000,
  },
});
