// Bindings of the runtime:queues tests (vitest.config.ts), prefixed Q_ because Cloudflare.Env is shared by all
// runtime code.
declare global {
  namespace Cloudflare {
    interface Env {
      Q_DB: D1Database;
      Q_KV: KVNamespace;
      Q_SHARDS: DurableObjectNamespace<import("./stores/durable-object.js").IdempotencyShard>;
      Q_IN: Queue;
      Q_DLQ: Queue;
    }
  }
}

export {};
