import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineProject } from "vitest/config";

type PoolOptions = Exclude<Parameters<typeof cloudflareTest>[0], (...args: never[]) => unknown>;

export interface WorkersProjectOptions {
  /** Vitest project name, e.g. "runtime:ops". */
  name: string;
  /** A Worker module whose exports (Durable Object classes) the tests need, relative to the config's folder. */
  main?: string;
  /** Bindings and other Miniflare options; the compatibility date and flags are shared by every project. */
  miniflare?: PoolOptions["miniflare"];
  testTimeout?: number;
}

/**
 * A Workers test project: its tests run inside workerd through @cloudflare/vitest-pool-workers.
 *
 * @example
 * export default defineWorkersProject({ name: "runtime:r2", miniflare: { r2Buckets: ["R2_BUCKET"] } });
 */
export function defineWorkersProject({ name, main, miniflare = {}, testTimeout = 30_000 }: WorkersProjectOptions) {
  return defineProject({
    plugins: [
      cloudflareTest({
        ...(main ? { main } : {}),
        miniflare: { compatibilityDate: "2026-04-01", compatibilityFlags: ["nodejs_compat"], ...miniflare },
      }),
    ],
    test: { name, include: ["**/*.test.ts"], testTimeout },
  });
}
