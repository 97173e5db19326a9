import { defineConfig } from "vitest/config";

// `npm test` in the shop: both Workers' tests, each inside workerd.
export default defineConfig({ test: { projects: ["api/vitest.config.ts", "consumer/vitest.config.ts"] } });
