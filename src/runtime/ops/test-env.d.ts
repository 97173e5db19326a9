import type { OpsTestEnv } from "./test-worker.js";

declare global {
  namespace Cloudflare {
    interface Env extends OpsTestEnv {}
  }
}
