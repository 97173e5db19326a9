import type { Env as ConsumerEnv } from "../src/index.js";

declare global {
  namespace Cloudflare {
    interface Env extends ConsumerEnv {
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    }
  }
}
