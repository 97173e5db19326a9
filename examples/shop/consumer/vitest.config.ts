import { fileURLToPath } from "node:url";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

export default defineProject({
  plugins: [
    cloudflareTest(async () => ({
      wrangler: { configPath: "./wrangler.jsonc" },
      miniflare: {
        bindings: { TEST_MIGRATIONS: await readD1Migrations(new URL("../migrations", import.meta.url).pathname) },
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
  test: {
    name: "shop-consumer",
    testTimeout: 30_000,
    include: ["test/**/*.test.ts"],
    setupFiles: ["./test/apply-migrations.ts"],
  },
});
