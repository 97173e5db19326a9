export interface Env {
  DB: D1Database;
  CONFIG: KVNamespace;
  RECEIPTS: R2Bucket;
  CARTS: DurableObjectNamespace<import("./cart.js").Cart>;
  ORDER_EVENTS: Queue<OrderEvent>;
  CF_VERSION_METADATA: WorkerVersionMetadata;
  /** The ops flags Durable Object (blastwall/ops): the kill switch's source of truth. */
  OPS_FLAGS: DurableObjectNamespace<import("blastwall/ops").BlastwallOpsFlags>;
  /** Bearer token of the ops admin API; a secret (`wrangler secret put BLASTWALL_ADMIN_TOKEN`). Unset → API off. */
  BLASTWALL_ADMIN_TOKEN?: string;
}

/** What shop-api tells shop-consumer about an order. */
export interface OrderEvent {
  type: "order.created";
  v: 1;
  id: string;
  source: "shop-api";
  time: string;
  data: { orderId: string; userId: string; totalCents: number };
}
