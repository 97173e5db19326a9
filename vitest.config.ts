import { defineConfig } from "vitest/config";

// Two tiers under one `npm test`: Node tests, and Workers tests that run inside workerd
// (every project listed by path below uses @cloudflare/vitest-pool-workers).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "node",
          include: ["src/**/*.test.ts", "test/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["src/runtime/**", "test/workers/**", "test/e2e/**", "**/node_modules/**"],
          testTimeout: 30_000,
          globalSetup: ["test/temp-folder.ts"],
        },
      },
      "test/workers/vitest.config.ts",
      "test/e2e/vitest.config.ts",
      "src/runtime/*/vitest.config.ts",
      "examples/shop/*/vitest.config.ts",
    ],
  },
});
